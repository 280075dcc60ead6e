import { Command } from 'commander';
import { output, withApi } from '../context.js';
import { shortTime } from '../output.js';

function brief(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > 50 ? `${text.slice(0, 47)}...` : text;
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('who changed what, newest first')
    .option('-m, --model <name>', 'only events about this model')
    .option('--action <action>', 'only this action (e.g. alias.promote)')
    .option('--actor <actor>', 'only this actor')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 50)
    .action(async (opts: { model?: string; action?: string; actor?: string; limit: number }, cmd: Command) => {
      const events = await withApi(cmd, (api) => api.audit(opts));
      const out = output(cmd);
      out.result(events, () =>
        out.table(['id', 'time', 'actor', 'action', 'target', 'before', 'after'], events.map((e) => [e.id, shortTime(e.time), e.actor, e.action, e.target, brief(e.before), brief(e.after)])),
      );
    });
}
