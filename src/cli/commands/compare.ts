import { Command } from 'commander';
import { output, withApi } from '../context.js';
import { humanBytes } from '../output.js';
import { positiveInt } from './versions.js';

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? '' : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('compare two versions: metrics, card changes, sizes')
    .argument('<name>')
    .argument('<a>')
    .argument('<b>')
    .action(async (name: string, a: string, b: string, _opts: unknown, cmd: Command) => {
      const cmp = await withApi(cmd, (api) => api.compare(name, positiveInt(a), positiveInt(b)));
      const out = output(cmd);
      out.result(cmp, () => {
        out.line(`${name}: v${cmp.a.version} → v${cmp.b.version}`);
        out.line(`size ${humanBytes(cmp.a.size_bytes)} → ${humanBytes(cmp.b.size_bytes)} (${cmp.size_delta_bytes >= 0 ? '+' : ''}${cmp.size_delta_bytes} B)${cmp.same_artifact ? ', same artifact' : ''}; signature ${cmp.same_signature ? 'unchanged' : 'CHANGED'}`);
        if (cmp.metrics.length) {
          out.table(['metric', `v${cmp.a.version}`, `v${cmp.b.version}`, 'delta'], cmp.metrics.map((m) => [m.name, m.a, m.b, m.delta === null ? '' : `${m.delta >= 0 ? '+' : ''}${m.delta.toPrecision(4)}`]));
        }
        if (cmp.card_changes.length) {
          out.table(['card field', 'change', `v${cmp.a.version}`, `v${cmp.b.version}`], cmp.card_changes.map((c) => [c.path, c.change, show(c.a), show(c.b)]));
        } else {
          out.line('cards are identical');
        }
      });
    });
}
