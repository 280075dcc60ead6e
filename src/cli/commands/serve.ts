import { Command } from 'commander';
import { openBerth } from '../../context/index.js';
import { globals, loadCliConfig } from '../context.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the Berth server (REST API, OpenAPI docs at /docs)')
    .option('--host <host>', 'address to bind (default 127.0.0.1; any other needs API keys)')
    .option('-p, --port <port>', 'port (0 = any free port)')
    .action(async (opts: { host?: string; port?: string }, cmd: Command) => {
      const { config } = loadCliConfig(globals(cmd), { 'server.host': opts.host, 'server.port': opts.port });
      // Loaded here so the other commands do not pay for the HTTP stack at startup.
      const { startServer } = await import('../../serving/index.js');
      const berth = await openBerth(config);
      let server;
      try {
        server = await startServer(berth);
      } catch (err) {
        await berth.close();
        throw err;
      }
      const models = await berth.registry.listModels({ limit: 1000 });
      process.stdout.write(
        [
          `Berth is serving at ${server.url}`,
          `  store:     ${berth.store.location}`,
          `  artifacts: ${berth.artifacts.location}`,
          `  models:    ${models.models.length === 0 ? '(none yet)' : models.models.map((m) => m.name).join(', ')}`,
          `  API docs:  ${server.url}/docs`,
          `  try:       curl ${server.url}/v1/models`,
          '',
        ].join('\n'),
      );
      let closing = false;
      const shutdown = async (signal: string) => {
        if (closing) return;
        closing = true;
        process.stdout.write(`\n${signal}: finishing in-flight requests and closing\n`);
        await server.close();
        await berth.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
