import { Command } from 'commander';
import type { NumberProfile, CategoryProfile } from '../../datasets/index.js';
import { localActor, output, withBerth } from '../context.js';
import { humanBytes, shortTime } from '../output.js';
import { positiveInt } from './versions.js';

/** Dataset commands work on the local store (the file is read where the command runs). */
export function datasetsCommand(): Command {
  const datasets = new Command('datasets').description('register, list and show dataset versions, and their lineage');
  datasets
    .command('register <name> <file>')
    .description('store a CSV as the next version of a dataset: sha256, rows, typed columns, profile')
    .option('-d, --description <text>', 'what this version is')
    .action(async (name: string, file: string, opts: { description?: string }, cmd: Command) => {
      const v = await withBerth(cmd, (berth) => berth.datasets.register({ name, file, description: opts.description }, localActor()));
      output(cmd).result(v, () => output(cmd).line(`registered dataset ${v.name} v${v.version}: ${v.rows} rows, ${v.columns.length} columns, sha256 ${v.sha256.slice(0, 12)} (${humanBytes(v.size_bytes)})`));
    });
  datasets
    .command('list')
    .description('list datasets')
    .action(async (_opts: unknown, cmd: Command) => {
      const list = await withBerth(cmd, (berth) => berth.datasets.list());
      const out = output(cmd);
      out.result(list, () => out.table(['name', 'latest', 'versions'], list.map((d) => [d.name, d.latest_version, d.versions])));
    });
  datasets
    .command('show <name> [version]')
    .description('a dataset version: columns, types, missing shares and profile')
    .action(async (name: string, version: string | undefined, _opts: unknown, cmd: Command) => {
      const d = await withBerth(cmd, (berth) => berth.datasets.get(name, version === undefined ? undefined : positiveInt(version)));
      const out = output(cmd);
      out.result(d, () => {
        out.line(`${d.name} v${d.version}: ${d.rows} rows, sha256 ${d.sha256}, ${humanBytes(d.size_bytes)}, ${shortTime(d.created_at)} by ${d.created_by}`);
        out.table(['column', 'type', 'missing', 'summary'], d.columns.map((c) => {
          const p = d.profile[c.name]!;
          const summary = p.type === 'number' ? `min ${(p as NumberProfile).min}, median ${(p as NumberProfile).quantiles['0.5']}, max ${(p as NumberProfile).max}` : `${(p as CategoryProfile).distinct} distinct`;
          return [c.name, c.type, `${(c.missing_share * 100).toFixed(1)}%`, summary];
        }));
      });
    });
  datasets
    .command('lineage <name> [version]')
    .description('runs that used a dataset version and the model versions trained on it')
    .action(async (name: string, version: string | undefined, _opts: unknown, cmd: Command) => {
      const l = await withBerth(cmd, (berth) => berth.datasets.lineage(name, version === undefined ? undefined : positiveInt(version)));
      const out = output(cmd);
      out.result(l, () => {
        out.line(`${l.dataset.name} v${l.dataset.version} (sha256 ${l.dataset.sha256.slice(0, 12)})`);
        out.table(['run', 'name', 'experiment', 'status'], l.runs.map((r) => [r.run_id.slice(0, 12), r.run_name, r.experiment_id, r.status]));
        out.table(['model', 'version', 'via'], l.model_versions.map((v) => [v.model, v.version, v.via]));
      });
    });
  return datasets;
}
