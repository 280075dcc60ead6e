import { Command } from 'commander';
import type { AliasMove } from '../../registry/index.js';
import { output, withApi } from '../context.js';
import { shortTime } from '../output.js';
import { positiveInt } from './versions.js';

function moved(cmd: Command, move: AliasMove): void {
  const from = move.from_version === null ? '(unset)' : `v${move.from_version}`;
  const to = move.to_version === null ? '(deleted)' : `v${move.to_version}`;
  output(cmd).result(move, () => output(cmd).line(`${move.model}@${move.alias}: ${from} → ${to} (${move.action})`));
}

export function promoteCommand(): Command {
  return new Command('promote')
    .description('move an alias (default production) to a version')
    .argument('<name>')
    .argument('<version>')
    .option('-a, --alias <alias>', 'alias to move', 'production')
    .option('-r, --reason <text>', 'why, kept in the alias history')
    .action(async (name: string, version: string, opts: { alias: string; reason?: string }, cmd: Command) => {
      moved(cmd, await withApi(cmd, (api) => api.promote(name, positiveInt(version), opts)));
    });
}

export function rollbackCommand(): Command {
  return new Command('rollback')
    .description('move an alias (default production) back to its previous target')
    .argument('<name>')
    .option('-a, --alias <alias>', 'alias to move back', 'production')
    .option('-r, --reason <text>', 'why, kept in the alias history')
    .action(async (name: string, opts: { alias: string; reason?: string }, cmd: Command) => {
      moved(cmd, await withApi(cmd, (api) => api.rollback(name, opts)));
    });
}

export function aliasCommand(): Command {
  const alias = new Command('alias').description('set, delete, list aliases and show their history');
  alias
    .command('set <name> <alias> <version>')
    .description('point an alias at a version')
    .option('-r, --reason <text>', 'why')
    .action(async (name: string, aliasName: string, version: string, opts: { reason?: string }, cmd: Command) => {
      moved(cmd, await withApi(cmd, (api) => api.setAlias(name, aliasName, positiveInt(version), opts.reason)));
    });
  alias
    .command('delete <name> <alias>')
    .description('delete an alias')
    .action(async (name: string, aliasName: string, _opts: unknown, cmd: Command) => {
      moved(cmd, await withApi(cmd, (api) => api.deleteAlias(name, aliasName)));
    });
  alias
    .command('list <name>')
    .description("list a model's aliases")
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const list = await withApi(cmd, (api) => api.listAliases(name));
      const out = output(cmd);
      out.result(list, () => out.table(['alias', 'version', 'updated', 'by'], list.map((a) => [a.alias, a.version, shortTime(a.updated_at), a.updated_by])));
    });
  alias
    .command('history <name>')
    .description('every alias move: who, when, from, to, why')
    .option('-a, --alias <alias>', 'only this alias')
    .action(async (name: string, opts: { alias?: string }, cmd: Command) => {
      const history = await withApi(cmd, (api) => api.aliasHistory(name, opts.alias));
      const out = output(cmd);
      out.result(history, () =>
        out.table(['time', 'alias', 'action', 'from', 'to', 'actor', 'reason'], history.map((h) => [shortTime(h.time), h.alias, h.action, h.from_version, h.to_version, h.actor, h.reason])),
      );
    });
  return alias;
}
