import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startBerth } from '../helpers/berth-process.js';
import { json, runCli } from '../helpers/run-cli.js';
import { storeTargets } from '../helpers/targets.js';
import type { RetrainEventView } from '../../src/retraining/index.js';
import type { AttemptView, PipelineRunView } from '../../src/pipelines/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MODEL = 'breast-cancer';
const CSV = path.join(ROOT, 'data/breast_cancer.csv');

const [header, ...lines] = readFileSync(CSV, 'utf8').trim().split('\n');
const NAMES = header!.split(',').slice(0, 30);
const ROWS = lines.map((l) => l.split(',').slice(0, 30).map(Number));
/** The shifted concept production now follows: a tumour is malignant when its mean texture exceeds 19. */
const shiftedLabel = (row: number[]) => (row[1]! > 19 ? 'malignant' : 'benign');

async function predict(url: string, rows: number[][]): Promise<Array<{ id: string; label: string; version: number }>> {
  const out: Array<{ id: string; label: string; version: number }> = [];
  for (let i = 0; i < rows.length; i += 50) {
    const answers = await Promise.all(
      rows.slice(i, i + 50).map(async (row) => {
        const res = await fetch(`${url}/v1/models/${MODEL}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: Object.fromEntries(NAMES.map((n, j) => [n, row[j]])) }),
        });
        const body = (await res.json()) as { version: number; predictions: Array<{ id: string; label: string }> };
        expect(res.status).toBe(200);
        return { id: body.predictions[0]!.id, label: body.predictions[0]!.label, version: body.version };
      }),
    );
    out.push(...answers);
  }
  return out;
}

async function feedback(url: string, items: Array<{ prediction_id: string; label: string }>): Promise<void> {
  // The log writes within its flush interval; feedback for a not-yet-written id would be refused as unknown.
  await sleep(400);
  const res = await fetch(`${url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) });
  const body = (await res.json()) as { accepted: number; unknown_ids?: string[] };
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  expect(body.accepted).toBe(items.length);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/**
 * The loop of the retraining issue, with real processes: `berth serve --demo` answers predictions and
 * evaluates triggers and alerts every second; on Postgres a separate `berth worker` executes every
 * pipeline step (the server takes none). Labels shift, the feedback trigger fires, a custom pipeline
 * (whose first step fails once and is retried) trains and judges a challenger, which is promoted because
 * it is better; a second trigger is suppressed by min_hours_between; a forced retraining that is not
 * better is rejected; then the promoted version's accuracy collapses and the CRITICAL alert rolls it back.
 */
describe.each(storeTargets())('retraining end to end ($engine)', (target) => {
  it('fires under constraints, trains, promotes only when better, retries a failing step and rolls back', { timeout: 300_000 }, async () => {
    const made = target.make();
    const home = made.config.home;
    const env = {
      ...process.env,
      ...made.env,
      BERTH_LOG_LEVEL: 'warn',
      BERTH_FLUSH_INTERVAL_MS: '50',
      BERTH_EVALUATE_EVERY_SECONDS: '1',
      BERTH_RETRAIN_EVERY_SECONDS: '1',
      ...(target.engine === 'postgres' ? { BERTH_PIPELINE_SERVE_WORKS: 'false' } : {}),
    };
    const cliEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
    writeFileSync(
      path.join(home, 'retrain.yaml'),
      `name: retrain-cancer
params: {model: '', reference: '', label: diagnosis, since: 0, reason: ''}
steps:
  - id: fetch
    run: |
      echo "fetching labels for \${{ params.model }} (attempt $BERTH_ATTEMPT)"
      if [ "$BERTH_ATTEMPT" = 1 ]; then echo "transient: label store unreachable" >&2; exit 7; fi
      echo '{"ok": true}' > "$BERTH_OUTPUT"
    retries: 2
    retry_delay: 200ms
  - id: assemble
    uses: assemble
    needs: [fetch]
    with: {model: "\${{ params.model }}", reference: "\${{ params.reference }}", label: "\${{ params.label }}", since: "\${{ params.since }}"}
  - id: train
    uses: train
    needs: [assemble]
    with: {data: "\${{ steps.assemble.outputs.train }}", label: "\${{ params.label }}", model: "\${{ params.model }}", description: "\${{ params.reason }}"}
  - id: compare
    uses: compare
    needs: [train, assemble]
    with: {model: "\${{ params.model }}", challenger: "\${{ steps.train.outputs.version }}", data: "\${{ steps.assemble.outputs.holdout }}", label: "\${{ params.label }}", metric: accuracy, min_delta: 0.02}
  - id: promote
    uses: promote
    needs: [compare, train]
    if: steps.compare.outputs.better
    with: {model: "\${{ params.model }}", version: "\${{ steps.train.outputs.version }}"}
`,
    );
    writeFileSync(
      path.join(home, 'policy.yaml'),
      `data: {reference: ${CSV}, label: diagnosis}
triggers:
  feedback: {min_labels: 150}
constraints: {min_hours_between: 1}
pipeline: retrain.yaml
watch_hours: 1
`,
    );

    const server = startBerth(['serve', '--demo', '--port', '0'], env, home, /serving at (http:\/\/\S+)/);
    const worker = target.engine === 'postgres' ? startBerth(['worker'], env, home, /berth worker (\S+) taking pipeline steps/) : undefined;
    try {
      const url = await server.ready;
      const workerId = worker ? await worker.ready : undefined;
      const cli = (args: string[]) => runCli([...args, '--json'], { env: cliEnv, cwd: home });
      json(await cli(['retrain', 'policy', MODEL, '--file', 'policy.yaml']));
      const history = async () => json<RetrainEventView[]>(await cli(['retrain', 'history', MODEL]));

      // 1. Production meets a shifted concept: 1000 predictions, labelled by the new rule.
      const production = Array.from({ length: 1000 }, (_, i) => ROWS[(i * 7) % ROWS.length]!);
      const served = await predict(url, production);
      expect(served.every((p) => p.version === 1)).toBe(true);
      await feedback(url, served.map((p, i) => ({ prediction_id: p.id, label: shiftedLabel(production[i]!) })));

      const promoted = await until('the feedback trigger to promote a challenger', async () => {
        const events = await history();
        return events.find((e) => e.trigger === 'feedback' && e.outcome !== null);
      });
      expect(promoted.decision).toBe('fired');
      expect(promoted.outcome, promoted.outcome_reason ?? '').toBe('promoted');
      expect(promoted.champion_version).toBe(1);
      expect(promoted.challenger_version).toBe(2);
      expect(promoted.reason).toMatch(/labelled predictions since the last training/);
      const versions = json<{ aliases?: Record<string, number> } & Record<string, unknown>>(await cli(['models', 'show', MODEL]));
      expect(JSON.stringify(versions)).toMatch(/"production"/);

      const run = json<PipelineRunView>(await cli(['pipeline', 'show', promoted.pipeline_run_id!]));
      expect(run.state).toBe('succeeded');
      expect(run.trigger).toBe(`retraining:${promoted.id}`);
      const fetch1 = run.steps.find((s) => s.id === 'fetch')!;
      expect(fetch1.attempts).toBe(2);
      const compare = run.steps.find((s) => s.id === 'compare')!;
      expect(compare.outputs.better).toBe(true);
      expect(compare.outputs.challenger_value as number).toBeGreaterThan((compare.outputs.champion_value as number) + 0.02);
      const logs = json<AttemptView[]>(await cli(['pipeline', 'logs', run.id, '--step', 'fetch']));
      expect(logs.map((a) => a.state)).toEqual(['failed', 'succeeded']);
      expect(logs[0]!.log).toContain('transient: label store unreachable');
      expect(logs[0]!.exit_code).toBe(7);
      if (workerId) {
        // Every step ran in the separate worker process, none in the server.
        for (const step of run.steps) expect(step.executed_by, step.id).toBe(workerId);
      }

      // The server follows the alias: new predictions are answered by v2.
      const afterPromotion = await until('serving to follow production to v2', async () => {
        const [p] = await predict(url, [ROWS[0]!]);
        return p!.version === 2 ? p : undefined;
      });
      expect(afterPromotion.version).toBe(2);

      // 2. More labels arrive at once: the trigger holds again but min_hours_between suppresses it (recorded once).
      const rows2 = Array.from({ length: 200 }, (_, i) => ROWS[(i * 11 + 3) % ROWS.length]!);
      const served2 = await predict(url, rows2);
      await feedback(url, served2.map((p) => ({ prediction_id: p.id, label: p.label })));
      const suppressed = await until('a suppressed trigger', async () => (await history()).find((e) => e.decision === 'suppressed'));
      expect(suppressed.trigger).toBe('feedback');
      expect(suppressed.reason).toMatch(/min_hours_between 1 h/);
      expect(suppressed.pipeline_run_id).toBeNull();
      await sleep(2500);
      expect((await history()).filter((e) => e.decision === 'suppressed')).toHaveLength(1);

      // 3. A forced manual retraining on data v2 already fits: the challenger is not better, so it is rejected.
      const manual = json<RetrainEventView>(await cli(['retrain', MODEL, '--reason', 'quarterly refresh', '--force', '--wait']));
      expect(manual.trigger).toBe('manual');
      expect(manual.decision).toBe('fired');
      expect(manual.outcome, manual.outcome_reason ?? '').toBe('rejected');
      expect(manual.outcome_reason).toMatch(/v2/);
      const stillTwo = await predict(url, [ROWS[1]!]);
      expect(stillTwo[0]!.version).toBe(2);

      // 4. Injected failure: v2's answers are now all wrong. The CRITICAL accuracy alert fires within the
      //    watch window and production rolls back to v1.
      const rows4 = Array.from({ length: 120 }, (_, i) => ROWS[(i * 13 + 5) % ROWS.length]!);
      const served4 = await predict(url, rows4);
      expect(served4.every((p) => p.version === 2)).toBe(true);
      await feedback(url, served4.map((p) => ({ prediction_id: p.id, label: p.label === 'benign' ? 'malignant' : 'benign' })));
      const rolledBack = await until('the rollback', async () => (await history()).find((e) => e.id === promoted.id && e.outcome === 'rolled_back'));
      expect(rolledBack.outcome_reason).toMatch(/CRITICAL alert 'default\.accuracy-drop\.critical' on v2/);
      const back = await until('serving to follow the rollback to v1', async () => {
        const [p] = await predict(url, [ROWS[2]!]);
        return p!.version === 1 ? p : undefined;
      });
      expect(back.version).toBe(1);
      const audit = await cli(['audit', '--model', MODEL]);
      expect(audit.stdout).toMatch(/retrain\.rolled_back/);
    } finally {
      await worker?.stop();
      await server.stop();
      await made.cleanup();
    }
  });
});
