import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBerth, type Berth } from '../../src/context/index.js';
import { BerthError } from '../../src/errors/index.js';
import {
  compareVersions,
  evaluateModel,
  evaluationSummary,
  higherIsBetterDefault,
  type ClassificationEvaluation,
  type ModelEvaluation,
  type RegressionEvaluation,
} from '../../src/evaluation/index.js';
import { fixtureModel, storeTargets } from '../helpers/targets.js';

const ACTOR = 'test';
const ROOT = path.resolve(import.meta.dirname, '../..');
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** data/breast_cancer.csv as rows: numbers for the features, the `diagnosis` label as a string. */
function cancerRows(): Array<Record<string, unknown>> {
  const records = parseCsv(readFileSync(path.join(ROOT, 'data/breast_cancer.csv')), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  return records.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, NUMBER.test(v) ? Number(v) : v])));
}

function asClassification(ev: ModelEvaluation): ClassificationEvaluation {
  if (ev.task !== 'classification') throw new Error(`expected a classification evaluation, got ${ev.task}`);
  return ev;
}

function asRegression(ev: ModelEvaluation): RegressionEvaluation {
  if (ev.task !== 'regression') throw new Error(`expected a regression evaluation, got ${ev.task}`);
  return ev;
}

/** ROC AUC as the Mann-Whitney U statistic (ties count one half): independent of the curve code. */
function mannWhitneyAuc(scores: number[], positive: boolean[]): number {
  let pairs = 0;
  let wins = 0;
  scores.forEach((s, i) => {
    if (!positive[i]) return;
    scores.forEach((t, j) => {
      if (positive[j]) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

const [sqlite] = storeTargets();

describe('evaluateModel on a real registry and real ONNX models', () => {
  let berth: Berth;
  let cleanup: () => Promise<void>;
  const rows = cancerRows();
  const card = (name: string) => readFileSync(fixtureModel(name), 'utf8');
  const cardMetrics = (JSON.parse(card('breast_cancer_v1.card.json')) as { metrics: Record<string, number> }).metrics;

  beforeAll(async () => {
    const made = sqlite!.make();
    cleanup = made.cleanup;
    berth = await openBerth(made.config);
    await berth.registry.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v1.onnx'), card: card('breast_cancer_v1.card.json') }, ACTOR);
    await berth.registry.registerVersion({ model: 'cancer', file: fixtureModel('breast_cancer_v2.onnx'), card: card('breast_cancer_v2.card.json') }, ACTOR);
    await berth.registry.registerVersion({ model: 'scorer', file: fixtureModel('multi_input.onnx'), card: card('multi_input.card.json') }, ACTOR);
    await berth.registry.registerVersion({ model: 'raw', file: fixtureModel('fixed_batch.onnx') }, ACTOR);
  });
  afterAll(async () => {
    await berth?.close();
    await cleanup?.();
  });

  it('predicts the test-split rows exactly as scikit-learn did (the same inference code as serving)', async () => {
    const expected = JSON.parse(readFileSync(fixtureModel('breast_cancer_expected.json'), 'utf8')) as { rows: Array<{ features: Record<string, number>; v1: number[] }> };
    // The fixture has the features of the first 8 test-split rows; their labels come from the CSV.
    const testRows = expected.rows.map((e) => {
      const match = rows.find((r) => Object.entries(e.features).every(([k, v]) => r[k] === v));
      if (!match) throw new Error('a test-split row of the fixture is not in data/breast_cancer.csv');
      return match;
    });
    const ev = asClassification(await evaluateModel(berth, { model: 'cancer', version: 1, rows: testRows, label: 'diagnosis' }));
    expect(ev).toMatchObject({ model: 'cancer', version: 1, task: 'classification', labels: ['malignant', 'benign'], rows: 8, evaluated: 8, refused: [] });
    ev.predictions.forEach((p, i) => {
      expect(p.row).toBe(i);
      expect(p.probabilities[0]).toBeCloseTo(expected.rows[i]!.v1[0]!, 5);
      expect(p.probabilities[1]).toBeCloseTo(expected.rows[i]!.v1[1]!, 5);
    });
    const correct = ev.predictions.filter((p) => p.label === p.truth).length;
    expect(ev.metrics['accuracy']).toBe(correct / 8);
  });

  it('scores the full dataset: metrics agree with the per-row predictions and with the card', async () => {
    const ev = asClassification(await evaluateModel(berth, { model: 'cancer', version: 1, rows, label: 'diagnosis' }));
    expect(ev.rows).toBe(569);
    expect(ev.evaluated).toBe(569);
    expect(ev.refused).toEqual([]);
    expect(ev.predictions.map((p) => p.row)).toEqual(rows.map((_, i) => i));
    expect(ev.predictions.map((p) => p.truth)).toEqual(rows.map((r) => r['diagnosis']));

    // Internal consistency: the metrics are those of the returned predictions.
    const accuracy = ev.predictions.filter((p) => p.label === p.truth).length / ev.predictions.length;
    expect(ev.metrics['accuracy']).toBe(accuracy);
    expect(ev.report.accuracy).toBe(accuracy);
    expect(ev.metrics['accuracy']).toBeGreaterThan(0.95);
    const cm = ev.report.confusionMatrix;
    expect(cm.labels).toEqual(['malignant', 'benign']);
    expect(cm.matrix.flat().reduce((a, b) => a + b, 0)).toBe(569);
    expect(cm.matrix[0]![0]! + cm.matrix[1]![1]!).toBe(Math.round(accuracy * 569));
    expect(ev.report.perClass.map((c) => c.support)).toEqual([212, 357]);
    for (const p of ev.predictions) {
      expect(p.probabilities[0]! + p.probabilities[1]!).toBeCloseTo(1, 5);
      expect(p.confidence).toBe(Math.max(...p.probabilities));
      expect(p.label).toBe(p.probabilities[1]! > p.probabilities[0]! ? 'benign' : 'malignant');
    }
    expect(ev.confidences).toEqual(ev.predictions.map((p) => p.confidence));

    // The positive label is the card's second one (scikit-learn's class 1, benign here).
    const positive = ev.predictions.map((p) => p.truth === 'benign');
    const auc = mannWhitneyAuc(ev.predictions.map((p) => p.probabilities[1]!), positive);
    expect(ev.metrics['roc_auc']).toBeCloseTo(auc, 12);
    expect(Math.abs(ev.metrics['roc_auc']! - cardMetrics['roc_auc']!)).toBeLessThan(0.05);
    const logLoss = ev.predictions.reduce((sum, p) => sum - Math.log(Math.min(Math.max(p.probabilities[p.truth === 'benign' ? 1 : 0]!, 2 ** -52), 1 - 2 ** -52)), 0) / 569;
    // scikit-learn renormalises each row, and float32 probabilities sum to 1 only to ~1e-7.
    expect(ev.metrics['log_loss']).toBeCloseTo(logLoss, 7);
    expect(ev.metrics['f1_macro']).toBeCloseTo((ev.metrics['f1.malignant']! + ev.metrics['f1.benign']!) / 2, 12);
    expect(ev.cardMetrics).toEqual(cardMetrics);

    expect(ev.curves?.positive).toBe('benign');
    expect(ev.curves?.roc?.auc).toBe(ev.metrics['roc_auc']);
    expect(ev.curves?.roc?.fpr[0]).toBe(0);
    expect(ev.curves?.roc?.tpr.at(-1)).toBe(1);
    expect(ev.curves?.pr.averagePrecision).toBe(ev.metrics['average_precision']);
    expect(ev.curves?.pr.prevalence).toBeCloseTo(357 / 569, 12);

    // The JSON summary leaves out everything per row.
    const summary = evaluationSummary(ev);
    expect(summary).not.toHaveProperty('predictions');
    expect(summary).not.toHaveProperty('confidences');
    expect(JSON.stringify(summary).length).toBeLessThan(5000);
    expect(summary['metrics']).toEqual(ev.metrics);
  });

  it('lists refused rows by index (across chunks) and scores the others', async () => {
    // Twice the data: 1138 rows, so the second copy goes in a second chunk of 1000.
    const doubled = [...rows, ...rows].map((r) => ({ ...r }));
    doubled[3]!['mean_radius'] = 'abc'; // a string in a number column
    delete doubled[10]!['worst_area']; // a missing value
    doubled[1100]!['mean_texture'] = -1; // below the card's minimum of 0
    doubled[20]!['diagnosis'] = ''; // no label
    doubled[21]!['diagnosis'] = 'unsure'; // a label the model does not have
    const ev = asClassification(await evaluateModel(berth, { model: 'cancer', version: 1, rows: doubled, label: 'diagnosis' }));
    expect(ev.rows).toBe(1138);
    expect(ev.evaluated).toBe(1133);
    expect(ev.refused.map((r) => r.row)).toEqual([3, 10, 20, 21, 1100]);
    const [stringRow, missingRow, noLabel, unknownLabel, range] = ev.refused;
    expect(stringRow!.message).toContain("feature 'mean_radius': expected number, got string");
    expect(missingRow!.message).toBe("feature 'worst_area' is missing");
    expect(noLabel!.message).toBe("label 'diagnosis' is missing");
    expect(unknownLabel!.message).toContain("'unsure' is not one of the model's labels (malignant, benign)");
    expect(range!.message).toContain("feature 'mean_texture': -1 is outside the valid range");
    const refused = new Set(ev.refused.map((r) => r.row));
    expect(ev.predictions.map((p) => p.row)).toEqual(doubled.map((_, i) => i).filter((i) => !refused.has(i)));

    // The same metrics as evaluating only the good rows.
    const good = doubled.filter((_, i) => !refused.has(i));
    const clean = await evaluateModel(berth, { model: 'cancer', version: 1, rows: good, label: 'diagnosis' });
    expect(clean.refused).toEqual([]);
    expect(clean.metrics).toEqual(ev.metrics);
  });

  it('resolves versions like serving: explicit, alias, production, latest', async () => {
    const some = rows.slice(0, 40);
    expect((await evaluateModel(berth, { model: 'cancer', rows: some, label: 'diagnosis' })).version).toBe(2);
    await berth.registry.setAlias('cancer', 'staging', 1, ACTOR);
    expect((await evaluateModel(berth, { model: 'cancer', alias: 'staging', rows: some, label: 'diagnosis' })).version).toBe(1);
    await berth.registry.promote('cancer', 1, ACTOR);
    expect((await evaluateModel(berth, { model: 'cancer', rows: some, label: 'diagnosis' })).version).toBe(1);
    const err = await evaluateModel(berth, { model: 'cancer', alias: 'nope', rows: some, label: 'diagnosis' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).code).toBe('not_found');
  });

  it('takes the positive label of the binary metrics as an option', async () => {
    const ev = asClassification(await evaluateModel(berth, { model: 'cancer', version: 1, rows, label: 'diagnosis', positive: 'malignant' }));
    expect(ev.curves?.positive).toBe('malignant');
    expect(ev.curves?.pr.prevalence).toBeCloseTo(212 / 569, 12);
    const err = await evaluateModel(berth, { model: 'cancer', version: 1, rows, label: 'diagnosis', positive: 'maybe' }).catch((e: unknown) => e);
    expect((err as BerthError).message).toContain("positive label 'maybe' is not one of the model's labels");
  });

  it('evaluates a regression model (tensor inputs, an output of kind value)', async () => {
    // score = numeric · [0.5, -1, 2] + 0.1 · sum(ids); the targets are that plus known errors.
    const errors = [0.5, -0.25, 1, 0, -2, 0.75];
    const data = errors.map((err, i) => {
      const numeric = [i, i / 2, 1 - i];
      const ids = [i, 2 * i + 1];
      const score = numeric[0]! * 0.5 - numeric[1]! + 2 * numeric[2]! + 0.1 * (ids[0]! + ids[1]!);
      return { numeric, ids, target: score + err };
    });
    const withBad = [...data.slice(0, 2), { numeric: [1, 2, 3], target: 1 }, ...data.slice(2), { numeric: [1, 2, 3], ids: [1, 1], target: 'n/a' }];
    const ev = asRegression(await evaluateModel(berth, { model: 'scorer', version: 1, rows: withBad, label: 'target' }));
    expect(ev).toMatchObject({ task: 'regression', rows: 8, evaluated: 6, curves: null, confidences: [] });
    expect(ev.refused).toEqual([
      { row: 2, message: "input 'ids' is missing" },
      { row: 7, message: "label 'target': expected a finite number, got \"n/a\"" },
    ]);
    ev.residuals.forEach((r, i) => expect(r).toBeCloseTo(errors[i]!, 4));
    const mae = errors.reduce((a, b) => a + Math.abs(b), 0) / errors.length;
    const mse = errors.reduce((a, b) => a + b * b, 0) / errors.length;
    expect(ev.metrics['mae']).toBeCloseTo(mae, 4);
    expect(ev.metrics['mse']).toBeCloseTo(mse, 4);
    expect(ev.metrics['rmse']).toBeCloseTo(Math.sqrt(mse), 4);
    expect(Object.keys(ev.metrics).sort()).toEqual(['mae', 'mape', 'mse', 'r2', 'rmse']);
    expect(ev.report.n).toBe(6);
  });

  it('refuses what cannot be evaluated, with a message that says why', async () => {
    const refusal = async (p: Promise<unknown>) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BerthError);
      return err as BerthError;
    };
    expect((await refusal(evaluateModel(berth, { model: 'cancer', version: 1, rows, label: 'outcome' }))).message).toMatch(/^no row has the label column 'outcome' \(columns: mean_radius, /);
    expect((await refusal(evaluateModel(berth, { model: 'cancer', version: 1, rows: [], label: 'diagnosis' }))).message).toBe('there are no rows to evaluate');
    const allBad = await refusal(evaluateModel(berth, { model: 'cancer', version: 1, rows: [{ diagnosis: 'benign' }], label: 'diagnosis' }));
    expect(allBad.message).toBe("none of the 1 rows could be evaluated; row 0: feature 'mean_radius' is missing");
    const raw = await refusal(evaluateModel(berth, { model: 'raw', version: 1, rows: [{ x: [1, 2, 3, 4], y: 1 }], label: 'y' }));
    expect(raw.message).toContain('cannot be evaluated: its card declares no output of kind probabilities/logits (classification) or value (regression)');
    expect((await refusal(evaluateModel(berth, { model: 'nosuch', rows, label: 'diagnosis' }))).code).toBe('not_found');
  });
});

describe('compareVersions: the champion/challenger gate', () => {
  const a = { version: 1, metrics: { accuracy: 0.9, log_loss: 0.2, zero: 0 } };
  const b = { version: 2, metrics: { accuracy: 0.92, log_loss: 0.25, zero: 0.01 } };

  it('lets the challenger win on any improvement when no margin is set', () => {
    const v = compareVersions(a, b, 'accuracy', { higherIsBetter: true });
    expect(v).toMatchObject({ metric: 'accuracy', a: 0.9, b: 0.92, winner: 'b', higherIsBetter: true });
    expect(v.delta).toBeCloseTo(0.02, 12);
    expect(v.relative).toBeCloseTo(0.02 / 0.9, 12);
    expect(v.reason).toBe('v2 wins on accuracy: 0.9 → 0.92 (+0.02, +2.22%; higher is better), an improvement (no margin required).');
  });

  it('keeps the champion when the improvement is below the absolute or relative minimum (a tie)', () => {
    const abs = compareVersions(a, b, 'accuracy', { higherIsBetter: true, minAbsolute: 0.05 });
    expect(abs.winner).toBe('tie');
    expect(abs.reason).toBe('Tie on accuracy: 0.9 → 0.92 (+0.02, +2.22%; higher is better) is within the required margin of 0.05 absolute, so v1 stays.');
    // A change of exactly the margin clears it, whichever way float rounding went.
    expect(0.92 - 0.9).not.toBe(0.02);
    expect(compareVersions(a, b, 'accuracy', { higherIsBetter: true, minAbsolute: 0.02 }).winner).toBe('b');
    expect(0.3 - 0.1).toBeLessThan(0.2);
    expect(compareVersions({ metrics: { m: 0.1 } }, { metrics: { m: 0.3 } }, 'm', { higherIsBetter: true, minAbsolute: 0.2 }).winner).toBe('b');
    expect(compareVersions({ metrics: { m: 0.1 } }, { metrics: { m: 0.3 } }, 'm', { higherIsBetter: true, minAbsolute: 0.2000001 }).winner).toBe('tie');
    expect(compareVersions(a, b, 'accuracy', { higherIsBetter: true, minAbsolute: 0.021 }).winner).toBe('tie');
    expect(compareVersions(a, b, 'accuracy', { higherIsBetter: true, minAbsolute: 0.015 }).winner).toBe('b');
    expect(compareVersions(a, b, 'accuracy', { higherIsBetter: true, minRelative: 0.03 }).winner).toBe('tie');
    expect(compareVersions(a, b, 'accuracy', { higherIsBetter: true, minRelative: 0.02 }).winner).toBe('b');
    // Both minimums must be cleared.
    expect(compareVersions(a, b, 'accuracy', { higherIsBetter: true, minAbsolute: 0.01, minRelative: 0.05 }).winner).toBe('tie');
    const both = compareVersions(a, b, 'accuracy', { higherIsBetter: true, minAbsolute: 0.01, minRelative: 0.01 });
    expect(both.winner).toBe('b');
    expect(both.reason).toContain('clearing the required margin of 0.01 absolute and 1% relative');
  });

  it('reads the direction of the metric: lower log loss is better', () => {
    const v = compareVersions(a, b, 'log_loss', { higherIsBetter: false });
    expect(v.winner).toBe('a');
    expect(v.delta).toBeCloseTo(0.05, 12);
    expect(v.reason).toBe('v1 wins on log_loss: v2 scores 0.25 against 0.2 (+0.05, +25%; lower is better).');
    expect(compareVersions(b, a, 'log_loss', { higherIsBetter: false }).winner).toBe('b');
    // The champion wins only by the same margins the challenger would need.
    expect(compareVersions(a, b, 'log_loss', { higherIsBetter: false, minAbsolute: 0.1 }).winner).toBe('tie');
    expect(compareVersions(a, b, 'accuracy', { higherIsBetter: false }).winner).toBe('a');
  });

  it('calls equal values a tie, and handles a champion at 0', () => {
    const same = compareVersions(a, { version: 3, metrics: { accuracy: 0.9 } }, 'accuracy', { higherIsBetter: true });
    expect(same).toMatchObject({ winner: 'tie', delta: 0, relative: 0 });
    expect(same.reason).toBe('Tie on accuracy: both score 0.9, so v1 stays.');
    const zero = compareVersions(a, b, 'zero', { higherIsBetter: true, minRelative: 0.5 });
    expect(zero).toMatchObject({ winner: 'b', relative: null });
    const unnamed = compareVersions({ metrics: { m: 1 } }, { metrics: { m: 1 } }, 'm', { higherIsBetter: true });
    expect(unnamed.reason).toBe('Tie on m: both score 1, so a stays.');
  });

  it('refuses a missing metric and negative margins', () => {
    expect(() => compareVersions(a, b, 'f1', { higherIsBetter: true })).toThrow("v1 has no metric 'f1' (it has accuracy, log_loss, zero)");
    expect(() => compareVersions(a, { version: 2, metrics: {} }, 'accuracy', { higherIsBetter: true })).toThrow("v2 has no metric 'accuracy'");
    expect(() => compareVersions(a, b, 'accuracy', { higherIsBetter: true, minAbsolute: -1 })).toThrow('minAbsolute must be a finite number >= 0');
    expect(() => compareVersions(a, b, 'accuracy', { higherIsBetter: true, minRelative: Number.NaN })).toThrow('minRelative must be a finite number >= 0');
  });

  it('knows which way the usual metrics go', () => {
    expect(['accuracy', 'f1_macro', 'roc_auc', 'average_precision', 'r2', 'recall.benign', 'precision_weighted'].map(higherIsBetterDefault)).toEqual(Array(7).fill(true));
    expect(['log_loss', 'brier_score', 'ece', 'mae', 'mse', 'rmse', 'mape'].map(higherIsBetterDefault)).toEqual(Array(7).fill(false));
    expect(higherIsBetterDefault('throughput')).toBeUndefined();
  });
});
