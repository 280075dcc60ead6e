import { Command, CommanderError } from 'commander';
import { isBerthError } from '../errors/index.js';
import { BERTH_VERSION } from '../config/index.js';
import { aliasCommand, promoteCommand, rollbackCommand } from './commands/aliases.js';
import { auditCommand } from './commands/audit.js';
import { compareCommand } from './commands/compare.js';
import { configCommand } from './commands/config.js';
import { keysCommand } from './commands/keys.js';
import { modelsCommand } from './commands/models.js';
import { serveCommand } from './commands/serve.js';
import { tagsCommand } from './commands/tags.js';
import { versionsCommand } from './commands/versions.js';
import { experimentsCommand, runsCommand } from './commands/tracking.js';
import { datasetsCommand } from './commands/datasets.js';
import { evaluateCommand } from './commands/evaluate.js';
import { driftCommand } from './commands/drift.js';
import { abtestCommand } from './commands/abtest.js';
import { alertsCommand, feedbackCommand, monitorCommand, predictionsCommand } from './commands/monitoring.js';
import { pipelineCommand, workerCommand } from './commands/pipelines.js';
import { retrainCommand } from './commands/retrain.js';
import { trainCommand } from './commands/train.js';

export function buildProgram(): Command {
  const program = new Command('berth')
    .description('Take a trained ONNX model to production and keep it honest.')
    .version(BERTH_VERSION)
    .option('-c, --config <file>', 'berth.yaml to read (default ./berth.yaml if present)')
    .option('--home <dir>', 'Berth home: SQLite file and artifacts (default ./.berth, env BERTH_HOME)')
    .option('--url <url>', 'talk to a running server instead of the local store (env BERTH_URL)')
    .option('--api-key <key>', 'API key for --url (env BERTH_API_KEY)')
    .option('--json', 'print JSON instead of tables')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [serveCommand(), configCommand(), modelsCommand(), versionsCommand(), promoteCommand(), rollbackCommand(), aliasCommand(), tagsCommand(), compareCommand(), auditCommand(), keysCommand(), experimentsCommand(), runsCommand(), datasetsCommand(), evaluateCommand(), driftCommand(), predictionsCommand(), feedbackCommand(), monitorCommand(), alertsCommand(), abtestCommand(), trainCommand(), pipelineCommand(), workerCommand(), retrainCommand()]) {
    program.addCommand(command);
  }
  // Subcommands inherit exit-override so usage errors reach main() instead of exiting mid-flight.
  const inherit = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(inherit);
  };
  inherit(program);
  return program;
}

/** Runs the CLI. Refusals print `error: <message>` (or the error JSON with --json) and exit 1; usage errors exit 2. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const json = argv.includes('--json');
    if (isBerthError(err)) {
      process.stderr.write(json ? `${JSON.stringify(err.toJSON())}\n` : `error: ${err.message}\n`);
    } else {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(json ? `${JSON.stringify({ error: { code: 'error', message } })}\n` : `error: ${message}\n`);
    }
    process.exitCode = 1;
  }
}
