/**
 * Per-row data losses on pre-head outputs z, summed, with their gradient dz (same shape as z).
 * - logistic: one column, target 0/1; the binary objective scikit-learn's LogisticRegression uses.
 * - softmax: one column per class, target the class index; cross-entropy.
 * - squared: one column, target a (standardized) number; ½(z − y)².
 */
export type LossKind = 'logistic' | 'softmax' | 'squared';

/** log(1 + e^z) without overflow for large z or lost precision for very negative z. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function lossAndGradient(kind: LossKind, z: Float64Array, n: number, k: number, targets: Float64Array, dz: Float64Array): number {
  let total = 0;
  if (kind === 'logistic') {
    for (let i = 0; i < n; i++) {
      const y = targets[i]!;
      total += softplus(z[i]!) - y * z[i]!;
      dz[i] = sigmoid(z[i]!) - y;
    }
    return total;
  }
  if (kind === 'squared') {
    for (let i = 0; i < n; i++) {
      const r = z[i]! - targets[i]!;
      total += 0.5 * r * r;
      dz[i] = r;
    }
    return total;
  }
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, z[row + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[row + c]! - max);
    const logSum = max + Math.log(sum);
    const y = targets[i]!;
    total += logSum - z[row + y]!;
    for (let c = 0; c < k; c++) dz[row + c] = Math.exp(z[row + c]! - logSum) - (c === y ? 1 : 0);
  }
  return total;
}
