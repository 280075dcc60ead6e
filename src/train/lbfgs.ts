/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for the smooth convex objectives of
 * logistic and ridge regression. Stops like scipy's L-BFGS-B as scikit-learn calls it: on a small
 * gradient, or when an iteration no longer lowers the objective by more than ftol relative to it.
 */
export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when every gradient component is at most this. */
  gradientTolerance: number;
  memory?: number;
  /** After each iteration, with the current point (do not keep it: it is reused). */
  onIteration?: (iteration: number, x: Float64Array) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** Objective at x; writes the gradient into grad. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/** The ftol scikit-learn passes to scipy for LogisticRegression: relative decrease meaning "stalled". */
const FTOL = 64 * Number.EPSILON;
const ARMIJO = 1e-4;
const MIN_STEP = 1e-20;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function minimizeLbfgs(objective: Objective, start: Float64Array, options: LbfgsOptions): LbfgsResult {
  const size = start.length;
  const memory = options.memory ?? 10;
  const x = Float64Array.from(start);
  const grad = new Float64Array(size);
  let value = objective(x, grad);
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const direction = new Float64Array(size);
  const nextX = new Float64Array(size);
  const nextGrad = new Float64Array(size);
  const alpha = new Float64Array(memory);

  if (maxAbs(grad) <= options.gradientTolerance) return { x, value, iterations: 0, converged: true };
  for (let iteration = 1; iteration <= options.maxIterations; iteration++) {
    // Two-loop recursion: direction = −H·grad with H the limited-memory inverse Hessian.
    direction.set(grad);
    for (let m = sHistory.length - 1; m >= 0; m--) {
      alpha[m] = rhoHistory[m]! * dot(sHistory[m]!, direction);
      const y = yHistory[m]!;
      for (let i = 0; i < size; i++) direction[i]! -= alpha[m]! * y[i]!;
    }
    if (sHistory.length > 0) {
      const last = sHistory.length - 1;
      const gamma = dot(sHistory[last]!, yHistory[last]!) / dot(yHistory[last]!, yHistory[last]!);
      for (let i = 0; i < size; i++) direction[i]! *= gamma;
    }
    for (let m = 0; m < sHistory.length; m++) {
      const beta = rhoHistory[m]! * dot(yHistory[m]!, direction);
      const s = sHistory[m]!;
      for (let i = 0; i < size; i++) direction[i]! += s[i]! * (alpha[m]! - beta);
    }
    for (let i = 0; i < size; i++) direction[i] = -direction[i]!;

    let slope = dot(grad, direction);
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs went stale): restart from steepest descent.
      sHistory.length = 0;
      yHistory.length = 0;
      rhoHistory.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -grad[i]!;
      slope = dot(grad, direction);
    }
    // The first step has no curvature information: scale it so it moves x by about 1.
    let step = sHistory.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(grad, grad))) : 1;
    let nextValue = Infinity;
    for (;;) {
      for (let i = 0; i < size; i++) nextX[i] = x[i]! + step * direction[i]!;
      nextValue = objective(nextX, nextGrad);
      if (nextValue <= value + ARMIJO * step * slope) break;
      step /= 2;
      if (step < MIN_STEP) return { x, value, iterations: iteration, converged: false };
    }

    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = nextX[i]! - x[i]!;
      y[i] = nextGrad[i]! - grad[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * dot(y, y)) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const decrease = value - nextValue;
    x.set(nextX);
    grad.set(nextGrad);
    const previous = value;
    value = nextValue;
    options.onIteration?.(iteration, x);
    if (maxAbs(grad) <= options.gradientTolerance) return { x, value, iterations: iteration, converged: true };
    if (decrease <= FTOL * Math.max(Math.abs(previous), Math.abs(value), 1)) return { x, value, iterations: iteration, converged: true };
  }
  return { x, value, iterations: options.maxIterations, converged: false };
}
