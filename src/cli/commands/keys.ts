import { Command, Option } from 'commander';
import { SCOPES } from '../../auth/index.js';
import { output, withApi } from '../context.js';
import { shortTime } from '../output.js';

export function keysCommand(): Command {
  const keys = new Command('keys').description('create, list and revoke API keys');
  keys
    .command('create')
    .description('create an API key; it is printed once and stored only as a hash')
    .requiredOption('-n, --name <name>', 'who or what uses the key')
    .addOption(new Option('-s, --scope <scope...>', 'scopes (admin ⊃ write ⊃ read+predict)').choices([...SCOPES]).makeOptionMandatory())
    .action(async (opts: { name: string; scope: string[] }, cmd: Command) => {
      const key = await withApi(cmd, (api) => api.createKey({ name: opts.name, scopes: opts.scope }));
      const out = output(cmd);
      out.result(key, () => {
        out.line(key.key);
        process.stderr.write(`created key ${key.id} '${key.name}' with scope(s) ${key.scopes.join(', ')}. Store it now: it will not be shown again.\n`);
      });
    });
  keys
    .command('list')
    .description('list keys (never their secrets)')
    .action(async (_opts: unknown, cmd: Command) => {
      const list = await withApi(cmd, (api) => api.listKeys());
      const out = output(cmd);
      out.result(list, () => out.table(['id', 'name', 'scopes', 'created', 'last used', 'revoked'], list.map((k) => [k.id, k.name, k.scopes.join(','), shortTime(k.created_at), shortTime(k.last_used_at), shortTime(k.revoked_at)])));
    });
  keys
    .command('revoke <id>')
    .description('revoke a key; it stops working within seconds')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const key = await withApi(cmd, (api) => api.revokeKey(id));
      output(cmd).result(key, () => output(cmd).line(`revoked key ${key.id} '${key.name}'`));
    });
  return keys;
}
