import { minimizeLbfgs } from './lbfgs.js';
import { columnSums, matmul, matmulTransA } from './linalg.js';
import { lossAndGradient, type LossKind } from './loss.js';
import type { DenseLayer } from './network.js';

export interface LinearProblem {
  /** Standardized training rows, n × d. */
  x: Float64Array;
  n: number;
  d: number;
  /** Class index (logistic: 0/1, softmax: 0..classes-1) or standardized target, per row. */
  targets: Float64Array;
  kind: LossKind;
  classes: number;
  /** Weight of ½‖W‖² against the summed loss: 1/C in scikit-learn's terms. The bias is not penalized. */
  l2: number;
  maxIterations: number;
}

/**
 * Tighter than scikit-learn's tol (1e-4), which often stops a little short of the optimum; the
 * optimum itself is what scikit-learn's objective defines, so converging further only helps agreement.
 */
const GRADIENT_TOLERANCE = 1e-6;

/** Columns the optimizer fits: one for binary logistic (as scikit-learn), one per class for softmax. */
function fittedColumns(problem: LinearProblem): number {
  return problem.kind === 'softmax' ? problem.classes : 1;
}

/**
 * The fitted columns as the layer the graph uses. A binary model's single logit z becomes the pair
 * [0, z]: softmax of that is [1 − σ(z), σ(z)], so the output has one column per card label.
 */
function toLayer(problem: LinearProblem, theta: Float64Array): DenseLayer {
  const { d } = problem;
  const k = fittedColumns(problem);
  const weights = theta.slice(0, d * k);
  const bias = theta.slice(d * k, d * k + k);
  if (problem.kind !== 'logistic') return { inputs: d, outputs: k, weights, bias };
  const pairWeights = new Float64Array(d * 2);
  for (let j = 0; j < d; j++) pairWeights[j * 2 + 1] = weights[j]!;
  return { inputs: d, outputs: 2, weights: pairWeights, bias: Float64Array.of(0, bias[0]!) };
}

/**
 * Minimizes Σ loss(rows) + (l2/2)·‖W‖² with L-BFGS from zero: scikit-learn's LogisticRegression
 * objective (binary or multinomial) for classification, ridge regression for 'squared'. The problem
 * is convex, so the seed plays no part here; it only picks the rows.
 */
export function fitLinear(problem: LinearProblem, onIteration?: (layer: DenseLayer) => void): { layer: DenseLayer; iterations: number; converged: boolean } {
  const { x, n, d, targets, kind, l2 } = problem;
  const k = fittedColumns(problem);
  const z = new Float64Array(n * k);
  const dz = new Float64Array(n * k);
  const weightGradient = new Float64Array(d * k);
  const biasGradient = new Float64Array(k);
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    const weights = theta.subarray(0, d * k);
    const bias = theta.subarray(d * k);
    matmul(x, n, d, weights, k, z, bias);
    let value = lossAndGradient(kind, z, n, k, targets, dz);
    matmulTransA(x, n, d, dz, k, weightGradient);
    columnSums(dz, n, k, biasGradient);
    for (let i = 0; i < d * k; i++) {
      value += 0.5 * l2 * weights[i]! * weights[i]!;
      grad[i] = weightGradient[i]! + l2 * weights[i]!;
    }
    grad.set(biasGradient, d * k);
    return value;
  };
  const result = minimizeLbfgs(objective, new Float64Array(d * k + k), {
    maxIterations: problem.maxIterations,
    gradientTolerance: GRADIENT_TOLERANCE,
    ...(onIteration ? { onIteration: (_: number, theta: Float64Array) => onIteration(toLayer(problem, theta)) } : {}),
  });
  return { layer: toLayer(problem, result.x), iterations: result.iterations, converged: result.converged };
}
