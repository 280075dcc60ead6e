import { Command } from 'commander';
import type { BerthApi } from '../../client/index.js';
import { output, withApi } from '../context.js';
import { parsePairs } from '../output.js';
import { positiveInt } from './versions.js';

/** `NAME [VERSION] rest...`: a second argument made of digits names a version. */
function target(args: string[]): { version: number | undefined; rest: string[] } {
  return args[0] !== undefined && /^\d+$/.test(args[0]) ? { version: positiveInt(args[0]), rest: args.slice(1) } : { version: undefined, rest: args };
}

function printTags(cmd: Command, tags: Record<string, string>): void {
  output(cmd).result(tags, () => output(cmd).line(Object.entries(tags).map(([k, v]) => `${k}=${v}`).join('\n') || '(no tags)'));
}

export function tagsCommand(): Command {
  const tags = new Command('tags').description('set or delete tags on a model or a version');
  tags
    .command('set <name> <args...>')
    .description('set tags: berth tags set NAME [VERSION] key=value ...')
    .action(async (name: string, args: string[], _opts: unknown, cmd: Command) => {
      const { version, rest } = target(args);
      const values = parsePairs(rest);
      const result = await withApi(cmd, (api: BerthApi): Promise<{ tags: Record<string, string> }> =>
        version === undefined ? api.setModelTags(name, values) : api.setVersionTags(name, version, values),
      );
      printTags(cmd, result.tags);
    });
  tags
    .command('delete <name> <args...>')
    .description('delete tags: berth tags delete NAME [VERSION] key ...')
    .action(async (name: string, args: string[], _opts: unknown, cmd: Command) => {
      const { version, rest } = target(args);
      const result = await withApi(cmd, async (api) => {
        let last: { tags: Record<string, string> } = version === undefined ? await api.getModel(name) : await api.getVersion(name, version);
        for (const key of rest) last = version === undefined ? await api.deleteModelTag(name, key) : await api.deleteVersionTag(name, version, key);
        return last;
      });
      printTags(cmd, result.tags);
    });
  return tags;
}
