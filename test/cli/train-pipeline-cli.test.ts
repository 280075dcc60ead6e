import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AttemptView, PipelineRunView } from '../../src/pipelines/index.js';
import type { TrainModelResult } from '../../src/train/index.js';
import { json, runCli } from '../helpers/run-cli.js';
import { storeTargets } from '../helpers/targets.js';

const [sqlite] = storeTargets();
const CSV = path.resolve(import.meta.dirname, '../../data/breast_cancer.csv');

describe('berth train and berth pipeline', () => {
  const made = sqlite!.make();
  const home = made.config.home;
  const cli = (...args: string[]) => runCli(args, { env: made.env, cwd: home });
  afterAll(() => made.cleanup());

  it('trains, logs and registers; the same seed gives the same model bit for bit; seeds give mean ± std', async () => {
    const one = json<TrainModelResult>(await cli('train', '--data', CSV, '--label', 'diagnosis', '--model', 'cancer', '--json'));
    expect(one.version).toBe(1);
    expect(one.metrics['accuracy']).toBeGreaterThan(0.94);
    const again = json<TrainModelResult>(await cli('train', '--data', CSV, '--label', 'diagnosis', '--model', 'cancer', '--json'));
    const versions = json<Array<{ version: number; sha256: string }>>(await cli('versions', 'list', 'cancer', '--json'));
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
    expect(versions[0]!.sha256).toBe(versions[1]!.sha256);
    expect(again.metrics).toEqual(one.metrics);

    const seeds = json<TrainModelResult>(await cli('train', '--data', CSV, '--label', 'diagnosis', '--model', 'cancer', '--seeds', '1,2,3', '--select', 'ensemble', '--json'));
    expect(seeds.seeds).toHaveLength(3);
    expect(seeds.selected).toBe('ensemble');
    const acc = seeds.seeds.map((s) => s.metrics['accuracy']!);
    const mean = acc.reduce((a, b) => a + b, 0) / 3;
    expect(seeds.summary['accuracy']!.mean).toBeCloseTo(mean, 12);
    expect(seeds.summary['accuracy']!.std).toBeCloseTo(Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / 2), 12);
    // The seeds' runs share a group tag, so tracking aggregates them the same way.
    const show = await cli('runs', 'show', seeds.seeds[0]!.runId, '--json');
    const group = (JSON.parse(show.stdout) as { data: { tags: Array<{ key: string; value: string }> } }).data.tags.find((t) => t.key === 'group')!.value;
    const agg = json<Array<{ group: string; runs: number; metrics: Record<string, { mean: number }> }>>(await cli('runs', 'aggregate', '--experiment', 'training', '--group', 'group', '--json'));
    const mine = agg.find((g) => g.group === group)!;
    expect(mine.runs).toBe(3);
    expect(mine.metrics['accuracy']!.mean).toBeCloseTo(mean, 9);

    const human = await cli('train', '--data', CSV, '--label', 'diagnosis', '--model', 'cancer', '--algo', 'mlp', '--epochs', '5', '--no-register');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/seed 1: accuracy/);
    expect(human.stdout).not.toMatch(/registered/);

    const bad = await cli('train', '--data', CSV, '--label', 'nope', '--model', 'cancer');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/nope/);
    expect((await cli('train', '--data', CSV, '--label', 'diagnosis', '--model', 'cancer', '--algo', 'forest')).stderr).toMatch(/--algo expects logreg or mlp/);
    expect((await cli('train', '--data', CSV, '--label', 'diagnosis', '--model', 'cancer', '--seeds', '1,x')).stderr).toMatch(/--seeds expects integers/);
  });

  it('runs a pipeline with live progress, lists, shows, prints logs, and fails with exit 1 naming the step', async () => {
    const file = path.join(home, 'pipe.yaml');
    writeFileSync(
      file,
      `name: cli-demo
params: {greeting: hello}
steps:
  - id: say
    run: |
      echo "\${{ params.greeting }} from $BERTH_STEP_ID"
      echo '{"words": 3}' > "$BERTH_OUTPUT"
  - id: count
    needs: [say]
    run: test "\${{ steps.say.outputs.words }}" = 3
`,
    );
    const run = await cli('pipeline', 'run', file, '--param', 'greeting=bonjour');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/say \| bonjour from say/);
    expect(run.stdout).toMatch(/✓ count succeeded/);
    const runs = json<PipelineRunView[]>(await cli('pipeline', 'runs', '--json'));
    expect(runs[0]).toMatchObject({ pipeline: 'cli-demo', state: 'succeeded', params: { greeting: 'bonjour' } });
    const logs = json<AttemptView[]>(await cli('pipeline', 'logs', runs[0]!.id, '--json'));
    expect(logs.find((a) => a.step === 'say')!.log).toContain('bonjour from say');

    const undeclared = await cli('pipeline', 'run', file, '--param', 'nope=1');
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toMatch(/param 'nope' is not declared/);
    writeFileSync(path.join(home, 'bad.yaml'), 'name: bad\nsteps:\n  - id: a\n    run: "true"\n    retries: 99\n');
    expect((await cli('pipeline', 'run', path.join(home, 'bad.yaml'))).stderr).toMatch(/steps\[0\]\.retries/);

    writeFileSync(path.join(home, 'fail.yaml'), 'name: failing\nsteps:\n  - id: boom\n    run: "echo broken >&2; exit 4"\n  - id: after\n    needs: [boom]\n    run: "true"\n');
    const failed = await cli('pipeline', 'run', path.join(home, 'fail.yaml'), '--json');
    expect(failed.code).toBe(1);
    const view = JSON.parse(failed.stdout) as PipelineRunView;
    expect(view.state).toBe('failed');
    expect(view.error).toBe("step 'boom' failed: exit code 4");
    expect(view.steps[1]!.state).toBe('skipped');
    const shown = await cli('pipeline', 'show', view.id);
    expect(shown.stdout).toMatch(/✗ failed/);
    expect((await cli('pipeline', 'show', 'no-such-run')).stderr).toMatch(/pipeline run 'no-such-run' does not exist/);
  });
});
