import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient, TrackingClient, type GroupSummary } from '../../src/client/index.js';
import type { Run } from '../../src/tracking/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { storeTargets } from '../helpers/targets.js';

describe('tracking client, multi-seed aggregates and the runs/experiments CLI', () => {
  let t: TestServer;
  let tracking: TrackingClient;
  const accuracies: Record<string, number[]> = { logreg: [0.91, 0.93, 0.92], mlp: [0.95, 0.94, 0.99] };

  beforeAll(async () => {
    t = await startTestServer(storeTargets()[0]!);
    tracking = new TrackingClient(new BerthClient({ url: t.url }));
    const experimentId = await tracking.ensureExperiment('cancer');
    expect(await tracking.ensureExperiment('cancer')).toBe(experimentId);
    const artifact = path.join(t.berth.config.home, 'notes.txt');
    writeFileSync(artifact, 'seed notes');
    for (const [algo, values] of Object.entries(accuracies)) {
      for (const [seed, accuracy] of values.entries()) {
        const run = await tracking.startRun({ experimentId, runName: `${algo}-seed${seed}`, tags: { group: algo } });
        await tracking.logParams(run.info.run_id, { algo, seed, lr: 0.01 });
        await tracking.logMetrics(run.info.run_id, Array.from({ length: 2500 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), step })));
        await tracking.logMetric(run.info.run_id, 'accuracy', accuracy);
        await tracking.logInputs(run.info.run_id, [{ name: 'breast_cancer', digest: 'fefd0594fe43', source: 'data/breast_cancer.csv', context: 'training' }]);
        await tracking.logArtifact(run, artifact, 'docs/notes.txt');
        await tracking.endRun(run.info.run_id);
      }
    }
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('logs what a training script logs: params, metric series in batches, inputs, artifacts, status', async () => {
    const experimentId = (await tracking.getExperimentByName('cancer')).experiment_id;
    const { runs } = await tracking.searchRuns({ experimentIds: [experimentId], filter: "params.algo = 'mlp' and params.seed = '2'" });
    expect(runs).toHaveLength(1);
    const run: Run = runs[0]!;
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.metrics.find((m) => m.key === 'loss')).toMatchObject({ value: 1 / 2500, step: 2499 });
    expect(run.inputs.dataset_inputs).toEqual([{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'breast_cancer', digest: 'fefd0594fe43', source_type: 'local', source: 'data/breast_cancer.csv' } }]);
    expect(await (await fetch(`${t.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${run.info.run_id}/artifacts/docs/notes.txt`)).text()).toBe('seed notes');
  });

  it('aggregates runs by a tag: mean, sample std, min, max, n', async () => {
    const experimentId = (await tracking.getExperimentByName('cancer')).experiment_id;
    const groups: GroupSummary[] = await tracking.aggregate(experimentId, 'group');
    expect(groups.map((g) => [g.group, g.runs])).toEqual([['logreg', 3], ['mlp', 3]]);
    for (const g of groups) {
      const values = accuracies[g.group]!;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
      expect(g.metrics['accuracy']!.mean).toBeCloseTo(mean, 12);
      expect(g.metrics['accuracy']!.std).toBeCloseTo(std, 12);
      expect(g.metrics['accuracy']).toMatchObject({ min: Math.min(...values), max: Math.max(...values), n: 3 });
    }
  });

  it('answers the CLI, locally and through --url', async () => {
    const env = { BERTH_HOME: t.berth.config.home, BERTH_LOG_LEVEL: 'silent' };
    const best = json<Run>(await runCli(['--json', 'runs', 'best', '--experiment', 'cancer', '--metric', 'accuracy', '--max'], { env, cwd: t.berth.config.home }));
    expect(best.info.run_name).toBe('mlp-seed2');
    const worst = json<Run>(await runCli(['--json', '--url', t.url, 'runs', 'best', '--experiment', 'cancer', '--metric', 'accuracy']));
    expect(worst.info.run_name).toBe('logreg-seed0');
    const groups = json<GroupSummary[]>(await runCli(['--json', '--url', t.url, 'runs', 'aggregate', '--experiment', 'cancer', '--group', 'group']));
    expect(groups.map((g) => g.group)).toEqual(['logreg', 'mlp']);
    const listed = await runCli(['runs', 'list', '--experiment', 'cancer', '--filter', "params.algo = 'logreg'", '--metric', 'accuracy'], { env, cwd: t.berth.config.home });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('logreg-seed1');
    expect(listed.stdout).not.toContain('mlp-seed1');
    const experiments = json<Array<{ name: string }>>(await runCli(['--json', '--url', t.url, 'experiments', 'list']));
    expect(experiments.map((e) => e.name)).toContain('cancer');
    const missing = await runCli(['--url', t.url, 'runs', 'best', '--experiment', 'nope', '--metric', 'accuracy']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Could not find experiment with name 'nope'");
  });
});
