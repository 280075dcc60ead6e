import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/tracking/index.js';
import type { VersionView } from '../../src/registry/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = path.join(ROOT, 'data/breast_cancer.csv');

interface EvaluateJson {
  model: string;
  version: number;
  task: string;
  rows: number;
  evaluated: number;
  refused: Array<{ row: number; message: string }>;
  metrics: Record<string, number>;
  data: { file: string; sha256: string; rows: number; ignored_columns: string[] };
  run_id: string | null;
  experiment: string | null;
  report_file: string | null;
  compare?: { version: number; metrics: Record<string, number>; run_id: string | null };
  verdict?: { metric: string; winner: 'a' | 'b' | 'tie'; delta: number; reason: string };
}

const [sqlite] = storeTargets();

describe('berth evaluate', () => {
  const made = sqlite!.make();
  const home = made.config.home;
  const cli = (...args: string[]) => runCli(args, { env: made.env, cwd: home });
  afterAll(() => made.cleanup());

  beforeAll(async () => {
    const help = await cli('--help');
    if (!/^\s+evaluate\b/m.test(help.stdout)) {
      throw new Error("'berth evaluate' is not a command of bin/berth.js: register evaluateCommand() from src/cli/commands/evaluate.ts in src/cli/main.ts and run npm run build");
    }
  });

  it('evaluates the production/latest version on a CSV, writes the report and logs a run', async () => {
    json<VersionView>(await cli('--json', 'versions', 'register', 'cancer', '--onnx', fixtureModel('breast_cancer_v1.onnx'), '--card', fixtureModel('breast_cancer_v1.card.json')));
    const report = path.join(home, 'r.html');
    const result = json<EvaluateJson>(await cli('--json', 'evaluate', 'cancer', '--data', DATA, '--label', 'diagnosis', '--report', report));
    expect(result).toMatchObject({ model: 'cancer', version: 1, task: 'classification', rows: 569, evaluated: 569, refused: [], experiment: 'evaluations', report_file: report });
    expect(result.metrics['accuracy']).toBeGreaterThan(0.9);
    expect(result.metrics['accuracy']).toBeLessThanOrEqual(1);
    expect(result.metrics['roc_auc']).toBeGreaterThan(0.95);
    expect(result.data).toMatchObject({ file: DATA, rows: 569, ignored_columns: [] });
    expect(result.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(result).not.toHaveProperty('predictions');

    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<title>Evaluation of cancer v1</title>');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script/i);

    const runs = json<Run[]>(await cli('--json', 'runs', 'list', '--experiment', 'evaluations'));
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.info.run_id).toBe(result.run_id);
    expect(run.info.run_name).toBe('evaluate cancer v1');
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.metrics.find((m) => m.key === 'accuracy')?.value).toBe(result.metrics['accuracy']);
    expect(run.data.metrics.find((m) => m.key === 'rows_refused')?.value).toBe(0);
    const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ model: 'cancer', version: '1', label: 'diagnosis', data: 'breast_cancer.csv', data_sha256: result.data.sha256, rows: '569' });
    expect(run.inputs.dataset_inputs[0]?.dataset).toMatchObject({ name: 'breast_cancer.csv', digest: result.data.sha256 });

    const human = await cli('evaluate', 'cancer', '--data', DATA, '--label', 'diagnosis', '--no-track');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('cancer v1 on breast_cancer.csv (label \'diagnosis\'): 569 rows, 569 evaluated, 0 refused');
    expect(human.stdout).toMatch(/│ accuracy\s+│ 0\.9\d{3}\s+│ 0\.9860/);
    expect(human.stdout).toContain('malignant');
    expect(human.stdout).not.toContain('logged run');
    expect(json<Run[]>(await cli('--json', 'runs', 'list', '--experiment', 'evaluations'))).toHaveLength(1);
  });

  it('lists refused rows and drops columns the model does not know', async () => {
    const lines = readFileSync(DATA, 'utf8').trimEnd().split('\n');
    const header = `id,${lines[0]}`;
    const body = lines.slice(1, 51).map((line, i) => `${i},${line}`);
    body[4] = body[4]!.replace(/^(\d+),[^,]+,/, '$1,abc,'); // text in mean_radius
    body[9] = body[9]!.replace(/^(\d+),([^,]+),[^,]+,/, '$1,$2,,'); // empty mean_texture
    const file = path.join(home, 'some.csv');
    writeFileSync(file, `${[header, ...body].join('\n')}\n`);
    const result = json<EvaluateJson>(await cli('--json', 'evaluate', 'cancer', '--data', file, '--label', 'diagnosis', '--experiment', 'scratch'));
    expect(result).toMatchObject({ rows: 50, evaluated: 48, experiment: 'scratch' });
    expect(result.data.ignored_columns).toEqual(['id']);
    expect(result.refused).toEqual([
      { row: 4, message: "feature 'mean_radius': expected number, got string \"abc\"" },
      { row: 9, message: "feature 'mean_texture' is missing" },
    ]);
    const human = await cli('evaluate', 'cancer', '--data', file, '--label', 'diagnosis', '--no-track');
    expect(human.stdout).toContain('ignored columns (not inputs of the model): id');
    expect(human.stdout).toContain("  row 4: feature 'mean_radius': expected number, got string \"abc\"");
  });

  it('compares two versions on the same rows and prints the verdict', async () => {
    json<VersionView>(await cli('--json', 'versions', 'register', 'cancer', '--onnx', fixtureModel('breast_cancer_v2.onnx'), '--card', fixtureModel('breast_cancer_v2.card.json')));
    const result = json<EvaluateJson>(await cli('--json', 'evaluate', 'cancer', '--model-version', '1', '--data', DATA, '--label', 'diagnosis', '--compare', '2', '--metric', 'accuracy', '--max'));
    expect(result.version).toBe(1);
    expect(result.compare?.version).toBe(2);
    expect(result.verdict?.metric).toBe('accuracy');
    expect(result.verdict?.delta).toBeCloseTo(result.compare!.metrics['accuracy']! - result.metrics['accuracy']!, 12);
    // On this data v2 (C=0.1) is less accurate than v1: the champion wins.
    expect(result.verdict?.winner).toBe('a');
    expect(result.verdict?.reason).toMatch(/^v1 wins on accuracy: v2 scores 0\.9\d+ against 0\.9\d+/);
    expect(result.compare?.run_id).toMatch(/^[0-9a-f]{32}$/);

    const gated = await cli('evaluate', 'cancer', '--model-version', '2', '--data', DATA, '--label', 'diagnosis', '--compare', '1', '--metric', 'accuracy', '--min-delta', '0.05', '--no-track');
    expect(gated.code, gated.stderr).toBe(0);
    expect(gated.stdout).toContain('cancer v2 on breast_cancer.csv');
    expect(gated.stdout).toContain('cancer v1 on breast_cancer.csv');
    expect(gated.stdout).toMatch(/verdict: Tie on accuracy: 0\.9\d+ → 0\.9\d+ \(\+0\.00\d+, \+0\.\d+%; higher is better\) is within the required margin of 0\.05 absolute, so v2 stays\./);

    const runs = json<Run[]>(await cli('--json', 'runs', 'list', '--experiment', 'evaluations'));
    expect(runs.map((r) => r.info.run_name).sort()).toEqual(['evaluate cancer v1', 'evaluate cancer v1', 'evaluate cancer v2']);
    const tagged = runs.find((r) => r.info.run_id === result.compare?.run_id)!;
    expect(tagged.data.tags.find((t) => t.key === 'berth.compare.winner')?.value).toBe('a');
  });

  it('refuses bad usage with a clear message', async () => {
    const noLabel = await cli('evaluate', 'cancer', '--data', DATA, '--label', 'outcome');
    expect(noLabel.code).toBe(1);
    expect(noLabel.stderr).toMatch(/^error: the label column 'outcome' is not in .*breast_cancer\.csv \(columns: mean_radius, /);
    const noMetric = await cli('evaluate', 'cancer', '--data', DATA, '--label', 'diagnosis', '--compare', '2');
    expect(noMetric.stderr).toContain('--compare needs --metric');
    const unknownDirection = await cli('evaluate', 'cancer', '--data', DATA, '--label', 'diagnosis', '--compare', '2', '--metric', 'throughput');
    expect(unknownDirection.stderr).toContain("say whether a larger 'throughput' is better (--max) or worse (--min)");
    const both = await cli('evaluate', 'cancer', '--model-version', '1', '--alias', 'production', '--data', DATA, '--label', 'diagnosis');
    expect(both.stderr).toContain('give either --model-version or --alias, not both');
    const missing = await cli('--json', 'evaluate', 'cancer', '--data', path.join(home, 'nope.csv'), '--label', 'diagnosis');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { message: expect.stringContaining('cannot read data file') } });
    expect((await cli('evaluate', 'cancer', '--label', 'diagnosis')).code).toBe(2); // --data is required
    expect((await cli('evaluate', 'cancer', '--data', DATA, '--label', 'diagnosis', '--max', '--min', '--compare', '2', '--metric', 'accuracy')).code).toBe(2);
  });
});
