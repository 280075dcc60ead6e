/** Dense row-major matrix products, float64. Plain loops: the trainer's matrices are small. */

/** out (n×k) = a (n×m) · b (m×k) + bias (k), bias optional. */
export function matmul(a: Float64Array, n: number, m: number, b: Float64Array, k: number, out: Float64Array, bias?: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * k;
    for (let c = 0; c < k; c++) out[row + c] = bias ? bias[c]! : 0;
    for (let j = 0; j < m; j++) {
      const aij = a[i * m + j]!;
      if (aij === 0) continue; // one-hot columns are mostly zeros
      const bRow = j * k;
      for (let c = 0; c < k; c++) out[row + c]! += aij * b[bRow + c]!;
    }
  }
  return out;
}

/** out (m×k) = aᵀ · b, with a (n×m) and b (n×k): the weight gradient of a dense layer. */
export function matmulTransA(a: Float64Array, n: number, m: number, b: Float64Array, k: number, out: Float64Array): Float64Array {
  out.fill(0, 0, m * k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const aij = a[i * m + j]!;
      if (aij === 0) continue;
      const outRow = j * k;
      const bRow = i * k;
      for (let c = 0; c < k; c++) out[outRow + c]! += aij * b[bRow + c]!;
    }
  }
  return out;
}

/** out (n×m) = a (n×k) · bᵀ, with b (m×k): the input gradient of a dense layer with weights b (m×k). */
export function matmulTransB(a: Float64Array, n: number, k: number, b: Float64Array, m: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += a[i * k + c]! * b[j * k + c]!;
      out[i * m + j] = sum;
    }
  }
  return out;
}

/** Column sums of a (n×k) into out (k). */
export function columnSums(a: Float64Array, n: number, k: number, out: Float64Array): Float64Array {
  out.fill(0, 0, k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[c]! += a[i * k + c]!;
  return out;
}
