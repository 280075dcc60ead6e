import { afterAll, describe, expect, it } from 'vitest';
import { accuracy, precisionRecallF1 } from '../../src/evaluation/index.js';
import { sqliteFile } from '../../src/config/index.js';
import { PredictionLog, PredictionStore, summarizeVersion, type LoggedPrediction } from '../../src/monitoring/index.js';
import type { ModelCard } from '../../src/registry/index.js';
import { openStore } from '../../src/store/index.js';
import { storeTargets } from '../helpers/targets.js';

const CARD = {
  task: 'classification',
  inputs: [
    {
      name: 'person',
      kind: 'tabular',
      features: [
        { name: 'age', type: 'number', min: 0, max: 120 },
        { name: 'sex', type: 'category', values: ['F', 'M'] },
      ],
    },
  ],
  outputs: [{ name: 'probabilities', kind: 'probabilities', labels: ['no', 'yes'] }],
  metrics: { accuracy: 0.9 },
} as unknown as ModelCard;

const OPTIONS = { hours: 1, driftShare: 0.5, correction: 'none' as const, minCurrentRows: 5 };

function row(i: number, extra: Partial<LoggedPrediction> = {}): LoggedPrediction {
  return {
    id: `p${i}`,
    ts: 1000 + i,
    model: 'm',
    version: 1,
    variant: null,
    abtest: null,
    subject: null,
    endpoint: 'predict',
    status: 200,
    error_code: null,
    error: null,
    latency_ms: i + 1,
    inputs: { age: 30 + i, sex: i % 2 ? 'F' : 'M' },
    outputs: { label: i % 3 === 0 ? 'yes' : 'no', confidence: 0.8 },
    ...extra,
  };
}

describe('summarizeVersion', () => {
  it('counts traffic, refusals by reason, 5xx errors and latency percentiles (numpy linear)', () => {
    const rows = [
      ...Array.from({ length: 100 }, (_, i) => row(i)),
      row(100, { status: 400, error_code: 'invalid_input', outputs: null }),
      row(101, { status: 400, error_code: 'invalid_input', outputs: null }),
      row(102, { status: 413, error_code: 'payload_too_large', outputs: null }),
      row(103, { status: 500, error_code: 'internal', outputs: null }),
    ];
    const w = summarizeVersion(rows, { card: CARD, version: 1 }, undefined, OPTIONS);
    expect(w).toMatchObject({ requests: 104, served: 100, refused: 3, errors: 1, refused_by_reason: { invalid_input: 2, payload_too_large: 1 } });
    expect(w.error_rate).toBeCloseTo(1 / 104, 12);
    expect(w.throughput_rps).toBeCloseTo(104 / 3600, 12);
    // latencies of served rows are 1..100: numpy.percentile(range(1, 101), [50, 95, 99]) = 50.5, 95.05, 99.01
    expect(w.latency_ms!.p50).toBeCloseTo(50.5, 10);
    expect(w.latency_ms!.p95).toBeCloseTo(95.05, 10);
    expect(w.latency_ms!.p99).toBeCloseTo(99.01, 10);
    expect(w.predictions.label_counts).toEqual({ yes: 34, no: 66 });
    expect(w.drift).toBeNull();
    expect(w.drift_note).toMatch(/no drift reference for v1/);
  });

  it('judges labelled predictions like scikit-learn (the evaluation module) and the drop against the card', () => {
    const rows = Array.from({ length: 60 }, (_, i) => row(i, i < 50 ? { label: i % 4 === 0 ? 'yes' : 'no' } : {}));
    const w = summarizeVersion(rows, { card: CARD, version: 1 }, undefined, OPTIONS);
    const truth = rows.slice(0, 50).map((r) => r.label as string);
    const predicted = rows.slice(0, 50).map((r) => (r.outputs as { label: string }).label);
    const prf = precisionRecallF1(truth, predicted);
    expect(w.performance).toEqual({
      task: 'classification',
      labelled: 50,
      accuracy: accuracy(truth, predicted),
      precision_macro: prf.macro.precision,
      recall_macro: prf.macro.recall,
      f1_macro: prf.macro.f1,
      card_accuracy: 0.9,
      accuracy_drop: 0.9 - accuracy(truth, predicted),
    });
  });

  it('regression: MAE and RMSE of labelled values', () => {
    const rows = [row(0, { outputs: { value: 1 }, label: 2 }), row(1, { outputs: { value: 3 }, label: 0 }), row(2, { outputs: { value: 5 } })];
    const w = summarizeVersion(rows, { card: { ...CARD, task: 'regression' } as ModelCard, version: 1 }, undefined, OPTIONS);
    expect(w.performance).toEqual({ task: 'regression', labelled: 2, mae: 2, rmse: Math.sqrt(5) });
  });

  it('data quality: missing, out of range, unseen category, wrong type, NaN as text — per feature and overall', () => {
    const rows = [
      row(0, { inputs: { age: 30, sex: 'M' } }),
      row(1, { inputs: { sex: 'F' } }), // age missing
      row(2, { inputs: { age: 130, sex: 'F' } }), // out of range
      row(3, { inputs: { age: 40, sex: 'X' } }), // unseen category
      row(4, { inputs: { age: 'forty', sex: 7 }, status: 400, error_code: 'invalid_input' }), // wrong types (refused, still checked)
      row(5, { inputs: { person: { age: 'NaN', sex: 'M' } } }), // nested under the input name; NaN sent as text
      row(6, { inputs: { _omitted: 'too big' } }), // not checkable
    ];
    const dq = summarizeVersion(rows, { card: CARD, version: 1 }, undefined, OPTIONS).data_quality!;
    expect(dq.rows).toBe(6);
    expect(dq.features).toEqual([
      { feature: 'age', missing_share: 1 / 6, out_of_range_share: 1 / 6, unseen_category_share: 0, type_error_share: 1 / 6, non_finite_share: 1 / 6 },
      { feature: 'sex', missing_share: 0, out_of_range_share: 0, unseen_category_share: 1 / 6, type_error_share: 1 / 6, non_finite_share: 0 },
    ]);
    expect(dq.missing_share).toBeCloseTo(1 / 12, 12);
    expect(dq.type_error_share).toBeCloseTo(1 / 6, 12);
  });

  it('breaks a version down by A/B variant when predictions carry one', () => {
    const rows = [...Array.from({ length: 10 }, (_, i) => row(i, { variant: 'A', label: 'no' })), ...Array.from({ length: 6 }, (_, i) => row(20 + i, { variant: 'B', latency_ms: 100 }))];
    const w = summarizeVersion(rows, { card: CARD, version: 1 }, undefined, OPTIONS);
    expect(w.variants!.map((v) => [v.variant, v.requests, v.performance?.labelled ?? 0])).toEqual([
      ['A', 10, 10],
      ['B', 6, 0],
    ]);
    expect(w.variants![1]!.latency_ms!.p50).toBe(100);
  });
});

describe.each(storeTargets())('retention ($engine)', (target) => {
  const made = target.make();
  afterAll(() => made.cleanup());

  it('deletes predictions older than the cut-off, with their feedback, and keeps the rest', async () => {
    const c = made.config;
    const store = await openStore(c.database.url ? { engine: 'postgres', url: c.database.url, schema: c.database.schema, poolSize: 2 } : { engine: 'sqlite', file: sqliteFile(c), busyTimeoutMs: 5000 });
    try {
      const log = new PredictionLog(store.db, { flushIntervalMs: 10, flushMaxRows: 100, maxQueueRows: 1000, overload: 'drop', blockTimeoutMs: 0, logInputs: false, maxInputBytes: 100 });
      log.append(Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, ts: i < 4 ? 1_000 : 9_000, model: i % 2 ? 'a' : 'b', version: 1, endpoint: 'predict' as const, status: 200, latency_ms: 1 })));
      await log.close();
      const predictions = new PredictionStore(store.db);
      await predictions.upsertFeedback([{ prediction_id: 'r0', label: 'x', ts: 1 }, { prediction_id: 'r9', label: 'y', ts: 1 }], 1);
      expect(await predictions.deleteBefore(5_000)).toBe(4);
      expect([...(await predictions.existing(Array.from({ length: 10 }, (_, i) => `r${i}`)))].sort()).toEqual(['r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
      const feedback = await store.db.selectFrom('prediction_feedback').select('prediction_id').execute();
      expect(feedback.map((f) => f.prediction_id)).toEqual(['r9']);
    } finally {
      await store.close();
    }
  });
});
