import { Command } from 'commander';
import { describeConfig, ENV_KEYS } from '../../config/index.js';
import { globals, loadCliConfig, output } from '../context.js';

function flatten(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value]];
}

export function configCommand(): Command {
  return new Command('config')
    .description('print the effective configuration (secrets masked) and where each value came from')
    .action((_opts: unknown, cmd: Command) => {
      const loaded = loadCliConfig(globals(cmd));
      const shown = describeConfig(loaded.config);
      const out = output(cmd);
      out.result({ config: shown, sources: loaded.sources, file: loaded.file ?? null }, () => {
        out.line(`config file: ${loaded.file ?? '(none; berth.yaml not found)'}`);
        out.table(['key', 'value', 'from'], flatten(shown).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value), loaded.sources[key] ?? 'default']));
        out.line(`environment variables: ${Object.keys(ENV_KEYS).join(', ')}`);
      });
    });
}
