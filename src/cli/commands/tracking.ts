import { Command } from 'commander';
import type { TrackingApi } from '../../client/index.js';
import type { Metric, Run } from '../../tracking/index.js';
import { output, withTracking } from '../context.js';
import { shortTime } from '../output.js';

function metricOf(run: Run, key: string): number | undefined {
  const m = run.data.metrics.find((x: Metric) => x.key === key);
  return m === undefined || typeof m.value !== 'number' ? undefined : m.value;
}

async function experimentId(api: TrackingApi, name: string): Promise<string> {
  return (await api.getExperimentByName(name)).experiment_id;
}

function runRows(runs: Run[], metrics: string[]): Array<Array<string | number | undefined>> {
  return runs.map((r) => [r.info.run_id.slice(0, 12), r.info.run_name, r.info.status, shortTime(new Date(r.info.start_time).toISOString()), ...metrics.map((k) => metricOf(r, k))]);
}

export function experimentsCommand(): Command {
  const experiments = new Command('experiments').description('list and create tracking experiments');
  experiments
    .command('list')
    .description('list active experiments')
    .action(async (_opts: unknown, cmd: Command) => {
      const list = await withTracking(cmd, (api) => api.listExperiments());
      const out = output(cmd);
      out.result(list, () => out.table(['id', 'name', 'created', 'artifacts'], list.map((e) => [e.experiment_id, e.name, shortTime(new Date(e.creation_time).toISOString()), e.artifact_location])));
    });
  experiments
    .command('create <name>')
    .description('create an experiment')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const id = await withTracking(cmd, (api) => api.createExperiment(name));
      output(cmd).result({ experiment_id: id }, () => output(cmd).line(`created experiment ${name} (id ${id})`));
    });
  return experiments;
}

export function runsCommand(): Command {
  const runs = new Command('runs').description('list, show, compare and summarize tracking runs');
  runs
    .command('list')
    .description("an experiment's runs, newest first (or by --order)")
    .requiredOption('-e, --experiment <name>', 'experiment name')
    .option('-f, --filter <filter>', "MLflow filter, e.g. \"metrics.accuracy > 0.9 and params.lr = '0.01'\"")
    .option('-o, --order <clause...>', 'e.g. "metrics.accuracy DESC"')
    .option('-m, --metric <key...>', 'metrics to show as columns')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .action(async (opts: { experiment: string; filter?: string; order?: string[]; metric?: string[]; limit: number }, cmd: Command) => {
      const result = await withTracking(cmd, async (api) => api.searchRuns({ experimentIds: [await experimentId(api, opts.experiment)], filter: opts.filter, orderBy: opts.order, maxResults: opts.limit }));
      const metrics = opts.metric ?? [...new Set(result.runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].slice(0, 5);
      const out = output(cmd);
      out.result(result.runs, () => out.table(['run', 'name', 'status', 'started', ...metrics], runRows(result.runs, metrics)));
    });
  runs
    .command('show <run_id>')
    .description('a run: info, params, latest metrics, tags, inputs')
    .action(async (runId: string, _opts: unknown, cmd: Command) => {
      const run = await withTracking(cmd, (api) => api.getRun(runId));
      const out = output(cmd);
      out.result(run, () => {
        out.line(`${run.info.run_name} (${run.info.run_id}) ${run.info.status}, experiment ${run.info.experiment_id}`);
        out.table(['param', 'value'], run.data.params.map((p) => [p.key, p.value]));
        out.table(['metric', 'latest', 'step'], run.data.metrics.map((m) => [m.key, String(m.value), m.step]));
        out.table(['tag', 'value'], run.data.tags.map((t) => [t.key, t.value]));
      });
    });
  runs
    .command('compare <run_ids...>')
    .description('params and latest metrics of several runs side by side')
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const list = await withTracking(cmd, (api) => Promise.all(ids.map((id) => api.getRun(id))));
      const keys = (pick: (r: Run) => Array<{ key: string }>) => [...new Set(list.flatMap((r) => pick(r).map((x) => x.key)))].sort();
      const out = output(cmd);
      out.result(list, () => {
        out.table(['param', ...list.map((r) => r.info.run_name)], keys((r) => r.data.params).map((k) => [k, ...list.map((r) => r.data.params.find((p) => p.key === k)?.value)]));
        out.table(['metric', ...list.map((r) => r.info.run_name)], keys((r) => r.data.metrics).map((k) => [k, ...list.map((r) => metricOf(r, k))]));
      });
    });
  runs
    .command('best')
    .description('the run with the best value of a metric')
    .requiredOption('-e, --experiment <name>', 'experiment name')
    .requiredOption('-m, --metric <key>', 'metric to rank by')
    .option('--max', 'higher is better (default: lower is better)')
    .option('-f, --filter <filter>', 'MLflow filter')
    .action(async (opts: { experiment: string; metric: string; max?: boolean; filter?: string }, cmd: Command) => {
      const result = await withTracking(cmd, async (api) =>
        api.searchRuns({ experimentIds: [await experimentId(api, opts.experiment)], filter: opts.filter, orderBy: [`metrics.\`${opts.metric}\` ${opts.max ? 'DESC' : 'ASC'}`], maxResults: 1 }),
      );
      const best = result.runs[0];
      if (!best || metricOf(best, opts.metric) === undefined) throw new Error(`no run of '${opts.experiment}' has metric '${opts.metric}'`);
      output(cmd).result(best, () => output(cmd).line(`${best.info.run_name} (${best.info.run_id}): ${opts.metric} = ${metricOf(best, opts.metric)}`));
    });
  runs
    .command('aggregate')
    .description('multi-seed summary: runs grouped by a tag, mean ± std, min, max, n per metric')
    .requiredOption('-e, --experiment <name>', 'experiment name')
    .option('-g, --group <tag>', 'tag whose value groups runs', 'group')
    .action(async (opts: { experiment: string; group: string }, cmd: Command) => {
      const groups = await withTracking(cmd, async (api) => api.aggregate(await experimentId(api, opts.experiment), opts.group));
      const out = output(cmd);
      out.result(groups, () =>
        out.table(
          [opts.group, 'runs', 'metric', 'mean ± std', 'min', 'max', 'n'],
          groups.flatMap((g) => Object.entries(g.metrics).map(([k, s]) => [g.group, g.runs, k, `${s.mean.toPrecision(6)} ± ${s.std === null ? '–' : s.std.toPrecision(3)}`, s.min, s.max, s.n])),
        ),
      );
    });
  return runs;
}
