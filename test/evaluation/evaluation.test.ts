import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../src/errors/index.js';
import {
  accuracy,
  averagePrecision,
  brierScore,
  classificationReport,
  confusionMatrix,
  expectedCalibrationError,
  isUndefinedMetric,
  logLoss,
  mae,
  mape,
  mse,
  precisionRecallCurve,
  precisionRecallF1,
  r2,
  regressionReport,
  rmse,
  rocAuc,
  rocAucOvr,
  rocCurve,
  uniqueLabels,
  type PrecisionRecallF1,
} from '../../src/evaluation/index.js';
import { refusal } from '../helpers/refusals.js';

/**
 * Every metric of every golden case must match scikit-learn (and the numpy ECE reference) to an
 * ABSOLUTE tolerance of 1e-9. NaN must be NaN; a metric scikit-learn refuses must throw here.
 */
const TOLERANCE = 1e-9;

// ------------------------------------------------------------------------------------------------
// Golden file
// ------------------------------------------------------------------------------------------------

/** JSON cannot hold NaN or infinities; the script stores them as these strings. */
type Num = number | 'NaN' | 'Infinity' | '-Infinity';
interface GoldenError {
  error: string;
  message: string;
}
type Maybe<T> = T | GoldenError;
interface AvgGolden {
  precision: Num;
  recall: Num;
  f1: Num;
}
interface PrfGolden {
  labels: string[];
  per_class: { precision: Num[]; recall: Num[]; f1: Num[]; support: number[] };
  macro: AvgGolden;
  micro: AvgGolden;
  weighted: AvgGolden;
}
interface ConfusionGolden {
  labels: string[];
  matrix: number[][];
}
interface ClassificationCase {
  name: string;
  kind: 'classification';
  description: string;
  inputs: {
    y_true: string[];
    y_pred?: string[];
    labels?: string[];
    probabilities?: number[][];
    positive?: string;
    scores?: number[];
  };
  expected: {
    confusion_matrix?: Maybe<ConfusionGolden>;
    confusion_matrix_default?: Maybe<ConfusionGolden>;
    accuracy?: Maybe<Num>;
    prf?: Maybe<PrfGolden>;
    prf_default?: Maybe<PrfGolden>;
    roc_auc?: Maybe<Num>;
    roc_curve?: Maybe<{ fpr: Num[]; tpr: Num[]; thresholds: Num[] }>;
    average_precision?: Maybe<Num>;
    precision_recall_curve?: Maybe<{ precision: Num[]; recall: Num[]; thresholds: Num[] }>;
    brier?: Maybe<Num>;
    log_loss?: Maybe<Num>;
    roc_auc_ovr?: { macro: Maybe<Num>; weighted: Maybe<Num> };
    ece?: Array<{ bins: number; value: Maybe<Num> }>;
  };
}
interface RegressionCase {
  name: string;
  kind: 'regression';
  description: string;
  inputs: { y_true: number[]; y_pred: number[] };
  expected: { mae: Maybe<Num>; mse: Maybe<Num>; rmse: Maybe<Num>; r2: Maybe<Num>; mape: Maybe<Num> };
}
interface GoldenFile {
  sklearn_version: string;
  numpy_version: string;
  cases: Array<ClassificationCase | RegressionCase>;
}

const golden = JSON.parse(
  readFileSync(new URL('../fixtures/goldens/evaluation.json', import.meta.url), 'utf8'),
) as GoldenFile;
const classificationCases = golden.cases.filter((c): c is ClassificationCase => c.kind === 'classification');
const regressionCases = golden.cases.filter((c): c is RegressionCase => c.kind === 'regression');

// ------------------------------------------------------------------------------------------------
// Comparison helpers (each counts its assertions)
// ------------------------------------------------------------------------------------------------

let assertions = 0;

function decode(v: Num): number {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return v;
}

function isError<T>(v: Maybe<T>): v is GoldenError {
  return typeof v === 'object' && v !== null && 'error' in v;
}

function close(actual: number, expected: Num, what: string): void {
  assertions++;
  const e = decode(expected);
  if (Number.isNaN(e)) {
    expect(actual, what).toBeNaN();
  } else if (!Number.isFinite(e)) {
    expect(actual, what).toBe(e);
  } else {
    expect(typeof actual, what).toBe('number');
    const diff = Math.abs(actual - e);
    if (!(diff <= TOLERANCE)) expect.fail(`${what}: got ${actual}, expected ${e} (|diff| = ${diff} > ${TOLERANCE})`);
  }
}

function closeAll(actual: readonly number[], expected: readonly Num[], what: string): void {
  assertions++;
  expect(actual.length, `${what}.length`).toBe(expected.length);
  expected.forEach((e, i) => close(actual[i]!, e, `${what}[${i}]`));
}

function throwsLikeSklearn(fn: () => unknown, expected: GoldenError, what: string): void {
  assertions++;
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) expect.fail(`${what}: expected a refusal (sklearn: ${expected.error}: ${expected.message})`);
  expect(thrown, what).toBeInstanceOf(BerthError);
  expect((thrown as BerthError).code).toBe('invalid_input');
}

/** Either the golden value (checked by `check`) or a refusal where scikit-learn raised. */
function against<T, R>(expected: Maybe<T> | undefined, what: string, compute: () => R, check: (actual: R, e: T) => void): void {
  if (expected === undefined) return;
  if (isError(expected)) {
    throwsLikeSklearn(compute, expected, what);
    return;
  }
  check(compute(), expected);
}

function checkPrf(actual: PrecisionRecallF1, e: PrfGolden, what: string): void {
  assertions++;
  expect(actual.labels, `${what}.labels`).toEqual(e.labels);
  closeAll(actual.perClass.map((c) => c.precision), e.per_class.precision, `${what}.precision`);
  closeAll(actual.perClass.map((c) => c.recall), e.per_class.recall, `${what}.recall`);
  closeAll(actual.perClass.map((c) => c.f1), e.per_class.f1, `${what}.f1`);
  closeAll(actual.perClass.map((c) => c.support), e.per_class.support, `${what}.support`);
  for (const avg of ['macro', 'micro', 'weighted'] as const) {
    close(actual[avg].precision, e[avg].precision, `${what}.${avg}.precision`);
    close(actual[avg].recall, e[avg].recall, `${what}.${avg}.recall`);
    close(actual[avg].f1, e[avg].f1, `${what}.${avg}.f1`);
  }
}

function checkConfusion(actual: { labels: string[]; matrix: number[][] }, e: ConfusionGolden, what: string): void {
  assertions += 2;
  expect(actual.labels, `${what}.labels`).toEqual(e.labels);
  expect(actual.matrix, `${what}.matrix`).toEqual(e.matrix);
}

/** The report leaves an undefined metric null where the golden holds an error. */
function nullOrClose(actual: number | null, expected: Maybe<Num> | undefined, what: string): void {
  if (expected === undefined) return;
  if (isError(expected)) {
    assertions++;
    expect(actual, what).toBeNull();
  } else {
    expect(actual, what).not.toBeNull();
    close(actual!, expected, what);
  }
}

afterAll(() => {
  console.info(
    `evaluation goldens (sklearn ${golden.sklearn_version}, numpy ${golden.numpy_version}): ` +
      `${golden.cases.length} cases, ${assertions} assertions at |diff| <= ${TOLERANCE}`,
  );
});

// ------------------------------------------------------------------------------------------------
// Goldens
// ------------------------------------------------------------------------------------------------

describe('evaluation goldens', () => {
  it('has the cases the brief asks for', () => {
    expect(golden.sklearn_version).toMatch(/^\d+\.\d+/);
    expect(classificationCases.length).toBeGreaterThanOrEqual(25);
    expect(regressionCases.length).toBeGreaterThanOrEqual(10);
  });
});

describe.each(classificationCases.map((c) => [c.name, c] as const))('classification golden: %s', (_name, c) => {
  const { inputs: inp, expected: exp } = c;

  it('confusion matrix, accuracy, precision/recall/F1', () => {
    if (!inp.y_pred) return;
    const yPred = inp.y_pred;
    against(exp.confusion_matrix, 'confusionMatrix', () => confusionMatrix(inp.y_true, yPred, inp.labels), (a, e) =>
      checkConfusion(a, e, 'confusionMatrix'),
    );
    against(exp.confusion_matrix_default, 'confusionMatrix(default labels)', () => confusionMatrix(inp.y_true, yPred), (a, e) =>
      checkConfusion(a, e, 'confusionMatrix(default labels)'),
    );
    against(exp.accuracy, 'accuracy', () => accuracy(inp.y_true, yPred), (a, e) => close(a, e, 'accuracy'));
    against(exp.prf, 'prf', () => precisionRecallF1(inp.y_true, yPred, inp.labels), (a, e) => checkPrf(a, e, 'prf'));
    against(exp.prf_default, 'prf(default labels)', () => precisionRecallF1(inp.y_true, yPred), (a, e) =>
      checkPrf(a, e, 'prf(default labels)'),
    );
  });

  it('binary ranking metrics: ROC AUC and curve, average precision and PR curve, Brier', () => {
    if (!inp.scores || inp.positive === undefined) return;
    const scores = inp.scores;
    const positive = inp.positive;
    against(exp.roc_auc, 'rocAuc', () => rocAuc(inp.y_true, scores, positive), (a, e) => close(a, e, 'rocAuc'));
    against(exp.roc_curve, 'rocCurve', () => rocCurve(inp.y_true, scores, positive), (a, e) => {
      closeAll(a.fpr, e.fpr, 'rocCurve.fpr');
      closeAll(a.tpr, e.tpr, 'rocCurve.tpr');
      closeAll(a.thresholds, e.thresholds, 'rocCurve.thresholds');
    });
    against(exp.average_precision, 'averagePrecision', () => averagePrecision(inp.y_true, scores, positive), (a, e) =>
      close(a, e, 'averagePrecision'),
    );
    against(exp.precision_recall_curve, 'precisionRecallCurve', () => precisionRecallCurve(inp.y_true, scores, positive), (a, e) => {
      closeAll(a.precision, e.precision, 'prCurve.precision');
      closeAll(a.recall, e.recall, 'prCurve.recall');
      closeAll(a.thresholds, e.thresholds, 'prCurve.thresholds');
    });
    const y01 = inp.y_true.map((y) => (y === positive ? 1 : 0));
    against(exp.brier, 'brierScore', () => brierScore(y01, scores), (a, e) => close(a, e, 'brierScore'));
  });

  it('probability metrics: log loss, one-vs-rest AUC, expected calibration error', () => {
    if (!inp.probabilities || !inp.labels) return;
    const p = inp.probabilities;
    const labels = inp.labels;
    against(exp.log_loss, 'logLoss', () => logLoss(inp.y_true, p, labels), (a, e) => close(a, e, 'logLoss'));
    if (exp.roc_auc_ovr) {
      for (const average of ['macro', 'weighted'] as const) {
        against(exp.roc_auc_ovr[average], `rocAucOvr.${average}`, () => rocAucOvr(inp.y_true, p, labels, average), (a, e) =>
          close(a, e, `rocAucOvr.${average}`),
        );
      }
    }
    for (const { bins, value } of exp.ece ?? []) {
      against(value, `ece(bins=${bins})`, () => expectedCalibrationError(inp.y_true, p, labels, bins), (a, e) =>
        close(a, e, `ece(bins=${bins})`),
      );
    }
  });

  it('classificationReport agrees with the goldens', () => {
    if (!inp.y_pred || !exp.confusion_matrix || isError(exp.confusion_matrix)) return;
    const report = classificationReport({
      yTrue: inp.y_true,
      yPred: inp.y_pred,
      ...(inp.labels ? { labels: inp.labels } : {}),
      ...(inp.probabilities ? { probabilities: inp.probabilities } : {}),
      ...(inp.probabilities && inp.positive !== undefined ? { positive: inp.positive } : {}),
    });
    expect(JSON.parse(JSON.stringify(report)), 'report is JSON-able without loss').toEqual(report);
    checkConfusion(report.confusionMatrix, exp.confusion_matrix, 'report.confusionMatrix');
    if (exp.accuracy !== undefined && !isError(exp.accuracy)) close(report.accuracy, exp.accuracy, 'report.accuracy');
    if (exp.prf && !isError(exp.prf)) checkPrf(report, exp.prf, 'report');
    if (!inp.probabilities) {
      expect(report.probabilistic).toBeNull();
      return;
    }
    const prob = report.probabilistic!;
    nullOrClose(prob.logLoss, exp.log_loss, 'report.logLoss');
    const ece10 = exp.ece?.find((x) => x.bins === 10);
    if (ece10) nullOrClose(prob.expectedCalibrationError.value, ece10.value, 'report.ece');
    if (exp.roc_auc_ovr) {
      nullOrClose(prob.rocAucOvr!.macro, exp.roc_auc_ovr.macro, 'report.rocAucOvr.macro');
      nullOrClose(prob.rocAucOvr!.weighted, exp.roc_auc_ovr.weighted, 'report.rocAucOvr.weighted');
    }
    if (inp.positive !== undefined && inp.scores) {
      const binary = prob.binary!;
      nullOrClose(binary.rocAuc, exp.roc_auc, 'report.rocAuc');
      nullOrClose(binary.averagePrecision, exp.average_precision, 'report.averagePrecision');
      nullOrClose(binary.brierScore, exp.brier, 'report.brierScore');
      if (binary.rocAuc === null) expect(binary.rocCurve).toBeNull();
    }
  });
});

describe.each(regressionCases.map((c) => [c.name, c] as const))('regression golden: %s', (_name, c) => {
  const { y_true: yTrue, y_pred: yPred } = c.inputs;
  const exp = c.expected;

  it('mae, mse, rmse, r2, mape', () => {
    against(exp.mae, 'mae', () => mae(yTrue, yPred), (a, e) => close(a, e, 'mae'));
    against(exp.mse, 'mse', () => mse(yTrue, yPred), (a, e) => close(a, e, 'mse'));
    against(exp.rmse, 'rmse', () => rmse(yTrue, yPred), (a, e) => close(a, e, 'rmse'));
    against(exp.r2, 'r2', () => r2(yTrue, yPred), (a, e) => close(a, e, 'r2'));
    against(exp.mape, 'mape', () => mape(yTrue, yPred), (a, e) => close(a, e, 'mape'));
  });

  it('regressionReport agrees with the goldens', () => {
    if (isError(exp.mae)) {
      throwsLikeSklearn(() => regressionReport(yTrue, yPred), exp.mae, 'regressionReport');
      return;
    }
    const report = regressionReport(yTrue, yPred);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    close(report.mae, exp.mae, 'report.mae');
    if (!isError(exp.mse)) close(report.mse, exp.mse, 'report.mse');
    if (!isError(exp.rmse)) close(report.rmse, exp.rmse, 'report.rmse');
    if (!isError(exp.mape)) close(report.mape, exp.mape, 'report.mape');
    if (!isError(exp.r2)) {
      if (Number.isNaN(decode(exp.r2))) {
        assertions++;
        expect(report.r2).toBeNull();
        expect(report.undefinedMetrics.map((n) => n.metric)).toEqual(['r2']);
      } else {
        close(report.r2!, exp.r2, 'report.r2');
      }
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Properties
// ------------------------------------------------------------------------------------------------

const LABELS = ['a', 'b', 'c', 'd', 'e'];
const label = fc.constantFrom(...LABELS);
/** Equal-length (yTrue, yPred) pairs of 1..80 samples. */
const pairs = fc
  .array(fc.tuple(label, label), { minLength: 1, maxLength: 80 })
  .map((rows) => ({ yTrue: rows.map((r) => r[0]), yPred: rows.map((r) => r[1]) }));
/** Binary labels with both classes present and distinct (tie-free) scores. */
const binaryNoTies = fc
  .uniqueArray(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 2, maxLength: 80 })
  .chain((scores) =>
    fc
      .array(fc.boolean(), { minLength: scores.length, maxLength: scores.length })
      .filter((ys) => ys.some(Boolean) && !ys.every(Boolean))
      .map((ys) => ({ scores: scores.map((s) => s / 1000), yTrue: ys.map((y) => (y ? 'pos' : 'neg')) })),
  );
const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const regressionPairs = fc
  .array(fc.tuple(finite, finite), { minLength: 1, maxLength: 100 })
  .map((rows) => ({ yTrue: rows.map((r) => r[0]), yPred: rows.map((r) => r[1]) }));
/** n × k probability rows (k = 3) that sum to 1. */
const probabilityRows = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 }), fc.constantFrom('x', 'y', 'z')), {
    minLength: 1,
    maxLength: 60,
  })
  .map((rows) => ({
    yTrue: rows.map((r) => r[3]),
    probabilities: rows.map(([a, b, c]) => {
      const total = a + b + c;
      return [a / total, b / total, c / total];
    }),
  }));

describe('evaluation properties', () => {
  it('accuracy lies in [0, 1] and equals micro precision, recall and F1 (single-label multiclass)', () => {
    fc.assert(
      fc.property(pairs, ({ yTrue, yPred }) => {
        const acc = accuracy(yTrue, yPred);
        expect(acc).toBeGreaterThanOrEqual(0);
        expect(acc).toBeLessThanOrEqual(1);
        const { micro } = precisionRecallF1(yTrue, yPred);
        expect(micro.precision).toBeCloseTo(acc, 12);
        expect(micro.recall).toBeCloseTo(acc, 12);
        expect(micro.f1).toBeCloseTo(acc, 12);
      }),
    );
  });

  it('the confusion matrix sums to n, its diagonal to the number correct, its rows to the supports', () => {
    fc.assert(
      fc.property(pairs, ({ yTrue, yPred }) => {
        const { labels, matrix } = confusionMatrix(yTrue, yPred);
        expect(matrix.flat().reduce((s, v) => s + v, 0)).toBe(yTrue.length);
        expect(matrix.reduce((s, row, i) => s + row[i]!, 0)).toBe(Math.round(accuracy(yTrue, yPred) * yTrue.length));
        const { perClass } = precisionRecallF1(yTrue, yPred, labels);
        perClass.forEach((c, i) => expect(matrix[i]!.reduce((s, v) => s + v, 0)).toBe(c.support));
      }),
    );
  });

  it('every per-class and averaged score lies in [0, 1]', () => {
    fc.assert(
      fc.property(pairs, fc.subarray(LABELS, { minLength: 1 }), ({ yTrue, yPred }, labels) => {
        const r = precisionRecallF1(yTrue, yPred, labels);
        for (const v of [...r.perClass.flatMap((c) => [c.precision, c.recall, c.f1]), r.macro.f1, r.micro.f1, r.weighted.f1]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('AUC of reversed scores is 1 − AUC when there are no ties; AUC and AP lie in [0, 1]', () => {
    fc.assert(
      fc.property(binaryNoTies, ({ yTrue, scores }) => {
        const auc = rocAuc(yTrue, scores, 'pos');
        expect(auc).toBeGreaterThanOrEqual(0);
        expect(auc).toBeLessThanOrEqual(1);
        expect(rocAuc(yTrue, scores.map((s) => -s), 'pos')).toBeCloseTo(1 - auc, 12);
        const ap = averagePrecision(yTrue, scores, 'pos');
        expect(ap).toBeGreaterThan(0);
        expect(ap).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('AUC equals the fraction of (positive, negative) pairs ranked correctly, ties counting one half', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), { minLength: 2, maxLength: 60 }).filter(
          (rows) => rows.some((r) => r[0]) && !rows.every((r) => r[0]),
        ),
        (rows) => {
          const yTrue = rows.map((r) => (r[0] ? 'pos' : 'neg'));
          const scores = rows.map((r) => r[1]);
          let wins = 0;
          let total = 0;
          for (const [pi, ps] of rows) {
            if (!pi) continue;
            for (const [ni, ns] of rows) {
              if (ni) continue;
              total++;
              wins += ps > ns ? 1 : ps === ns ? 0.5 : 0;
            }
          }
          expect(rocAuc(yTrue, scores, 'pos')).toBeCloseTo(wins / total, 12);
        },
      ),
    );
  });

  it('ROC curves run from (0, 0) to (1, 1) with non-decreasing fpr and tpr', () => {
    fc.assert(
      fc.property(binaryNoTies, ({ yTrue, scores }) => {
        const { fpr, tpr, thresholds } = rocCurve(yTrue, scores, 'pos');
        expect([fpr[0], tpr[0], fpr.at(-1), tpr.at(-1)]).toEqual([0, 0, 1, 1]);
        for (let i = 1; i < fpr.length; i++) {
          expect(fpr[i]!).toBeGreaterThanOrEqual(fpr[i - 1]!);
          expect(tpr[i]!).toBeGreaterThanOrEqual(tpr[i - 1]!);
          expect(thresholds[i]!).toBeLessThan(thresholds[i - 1]!);
        }
      }),
    );
  });

  it('one-vs-rest AUC over two complementary columns equals the binary AUC', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 64 })), { minLength: 2, maxLength: 60 }).filter(
          (rows) => rows.some((r) => r[0]) && !rows.every((r) => r[0]),
        ),
        (rows) => {
          const yTrue = rows.map((r) => (r[0] ? 'pos' : 'neg'));
          const p = rows.map((r) => r[1] / 64); // exact binary fractions: 1 - p is exact, ties preserved
          const probabilities = p.map((v) => [1 - v, v]);
          const binary = rocAuc(yTrue, p, 'pos');
          expect(rocAucOvr(yTrue, probabilities, ['neg', 'pos'], 'macro')).toBeCloseTo(binary, 12);
          expect(rocAucOvr(yTrue, probabilities, ['neg', 'pos'], 'weighted')).toBeCloseTo(binary, 12);
        },
      ),
    );
  });

  it('log loss is non-negative and ECE lies in [0, 1]', () => {
    fc.assert(
      fc.property(probabilityRows, fc.integer({ min: 1, max: 30 }), ({ yTrue, probabilities }, bins) => {
        expect(logLoss(yTrue, probabilities, ['x', 'y', 'z'])).toBeGreaterThanOrEqual(0);
        const ece = expectedCalibrationError(yTrue, probabilities, ['x', 'y', 'z'], bins);
        expect(ece).toBeGreaterThanOrEqual(0);
        expect(ece).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('r2 of perfect predictions is 1; rmse is sqrt(mse); errors are non-negative', () => {
    fc.assert(
      fc.property(regressionPairs, ({ yTrue, yPred }) => {
        if (yTrue.length >= 2) expect(r2(yTrue, yTrue)).toBe(1);
        expect(rmse(yTrue, yPred)).toBe(Math.sqrt(mse(yTrue, yPred)));
        expect(mae(yTrue, yPred)).toBeGreaterThanOrEqual(0);
        expect(mape(yTrue, yPred)).toBeGreaterThanOrEqual(0);
        expect(mae(yTrue, yTrue)).toBe(0);
      }),
    );
  });

  it('r2 never exceeds 1', () => {
    fc.assert(
      fc.property(regressionPairs.filter(({ yTrue }) => yTrue.length >= 2), ({ yTrue, yPred }) => {
        expect(r2(yTrue, yPred)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Refusals and edge cases
// ------------------------------------------------------------------------------------------------

describe('evaluation refusals', () => {
  it('refuses empty, mismatched and non-finite inputs with invalid_input', () => {
    expect(refusal(() => accuracy([], [])).code).toBe('invalid_input');
    expect(refusal(() => confusionMatrix(['a'], ['a', 'b'])).details).toMatchObject({ metric: 'confusionMatrix' });
    expect(refusal(() => rocAuc(['a', 'b'], [0.1, Number.NaN], 'a')).message).toMatch(/finite/);
    expect(refusal(() => mae([1, Number.POSITIVE_INFINITY], [1, 2])).message).toMatch(/finite/);
    expect(refusal(() => r2([], [])).message).toMatch(/empty/);
  });

  it('marks undefined metrics (single class) apart from invalid inputs', () => {
    const single = refusal(() => rocAuc(['pos', 'pos'], [0.2, 0.9], 'pos'));
    expect(single.message).toMatch(/only one class/);
    expect(isUndefinedMetric(single)).toBe(true);
    expect(isUndefinedMetric(refusal(() => rocAuc(['pos'], [0.2, 0.9], 'pos')))).toBe(false);
    expect(isUndefinedMetric(refusal(() => logLoss(['a'], [[1]], ['a'])))).toBe(true);
  });

  it('refuses bad labels, probability shapes and bins', () => {
    expect(refusal(() => precisionRecallF1(['a'], ['a'], ['a', 'a'])).message).toMatch(/twice/);
    expect(refusal(() => confusionMatrix(['a'], ['a'], ['b'])).message).toMatch(/at least one/);
    expect(refusal(() => logLoss(['a', 'c'], [[0.5, 0.5], [0.5, 0.5]], ['a', 'b'])).message).toMatch(/not one of the labels/);
    expect(refusal(() => logLoss(['a'], [[0.5, 0.25, 0.25]], ['a', 'b'])).message).toMatch(/columns/);
    expect(refusal(() => expectedCalibrationError(['a'], [[1, 0]], ['a', 'b'], 0)).message).toMatch(/bins/);
    expect(refusal(() => expectedCalibrationError(['a'], [[1.5, 0]], ['a', 'b'])).message).toMatch(/outside/);
    expect(refusal(() => brierScore([0, 2], [0.1, 0.2])).message).toMatch(/0 or 1/);
    expect(refusal(() => brierScore([0, 1], [0.1, 1.2])).message).toMatch(/greater than 1/);
    expect(refusal(() => rocAucOvr(['a', 'b', 'c'], [[0.5, 0.5, 0.5], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], ['a', 'b', 'c'])).message).toMatch(
      /sums to/,
    );
  });

  it('sorts default labels by code point like Python, not by UTF-16 unit', () => {
    expect(uniqueLabels(['\u{1F600}', '\uFFFF', 'b', 'B', '10', '9'])).toEqual(['10', '9', 'B', 'b', '\uFFFF', '\u{1F600}']);
  });

  it('classificationReport derives predictions from probabilities and nulls undefined metrics', () => {
    const report = classificationReport({
      yTrue: ['pos', 'pos', 'pos'],
      labels: ['neg', 'pos'],
      probabilities: [
        [0.2, 0.8],
        [0.6, 0.4],
        [0.1, 0.9],
      ],
    });
    expect(report.accuracy).toBeCloseTo(2 / 3, 15);
    expect(report.probabilistic?.binary?.positive).toBe('pos');
    expect(report.probabilistic?.binary?.rocAuc).toBeNull();
    expect(report.probabilistic?.binary?.rocCurve).toBeNull();
    expect(report.probabilistic?.binary?.averagePrecision).toBe(1);
    expect(report.undefinedMetrics.map((n) => n.metric)).toEqual(['rocCurve', 'rocAuc']);
  });
});
