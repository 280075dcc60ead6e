import { Command } from 'commander';
import { output, withApi } from '../context.js';
import { parsePairs } from '../output.js';
import { positiveInt } from './versions.js';

export function tagsCommand(): Command {
  const tags = new Command('tags').description('set or delete tags on a model or a version');
  tags
    .command('set <name> <pairs...>')
    .description('set tags: berth tags set NAME [--version N] key=value ...')
    .option('-v, --version <n>', 'tag this version instead of the model')
    .action(async (name: string, pairs: string[], opts: { version?: string }, cmd: Command) => {
      const values = parsePairs(pairs);
      const result: { tags: Record<string, string> } = await withApi(cmd, (api): Promise<{ tags: Record<string, string> }> => (opts.version ? api.setVersionTags(name, positiveInt(opts.version), values) : api.setModelTags(name, values)));
      output(cmd).result(result.tags, () => output(cmd).line(Object.entries(result.tags).map(([k, v]) => `${k}=${v}`).join('\n') || '(no tags)'));
    });
  tags
    .command('delete <name> <keys...>')
    .description('delete tags by key')
    .option('-v, --version <n>', 'from this version instead of the model')
    .action(async (name: string, keys: string[], opts: { version?: string }, cmd: Command) => {
      const result = await withApi(cmd, async (api) => {
        let last: { tags: Record<string, string> } | undefined;
        for (const key of keys) last = opts.version ? await api.deleteVersionTag(name, positiveInt(opts.version), key) : await api.deleteModelTag(name, key);
        return last!;
      });
      output(cmd).result(result.tags, () => output(cmd).line(Object.entries(result.tags).map(([k, v]) => `${k}=${v}`).join('\n') || '(no tags)'));
    });
  return tags;
}
