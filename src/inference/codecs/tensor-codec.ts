import { BerthError, describeValue } from '../../errors/index.js';
import { allocate, elementCount, type Dtype, type TypedArray } from '../dtypes.js';

const INTEGER_LIMITS: Partial<Record<Dtype, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** The shape of nested arrays, checking they are rectangular. */
function nestedShape(value: unknown, where: string): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const check = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw new BerthError('invalid_input', `${where}: ragged array at ${path}: deeper than its siblings`);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new BerthError('invalid_input', `${where}: ragged array at ${path}: expected ${shape[depth]} elements, got ${Array.isArray(node) ? node.length : describeValue(node)}`);
    }
    node.forEach((child, i) => check(child, depth + 1, `${path}[${i}]`));
  };
  check(value, 0, '');
  return shape;
}

function store(dtype: Dtype, out: TypedArray, index: number, value: unknown, where: string): void {
  if (dtype === 'bool') {
    if (typeof value !== 'boolean') throw new BerthError('invalid_input', `${where}: expected bool elements (true/false), got ${describeValue(value)}`);
    out[index] = value ? 1 : 0;
    return;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new BerthError('invalid_input', `${where}: expected finite ${dtype} numbers, got ${describeValue(value)}`);
  }
  const limits = INTEGER_LIMITS[dtype];
  if (limits) {
    if (!Number.isInteger(value) || value < limits[0] || value > limits[1]) {
      throw new BerthError('invalid_input', `${where}: expected ${dtype} integers in [${limits[0]}, ${limits[1]}], got ${value}`);
    }
    if (dtype === 'int64' || dtype === 'uint64') (out as BigInt64Array)[index] = BigInt(value);
    else out[index] = value;
    return;
  }
  if (dtype === 'float16') throw new BerthError('invalid_input', `${where}: float16 inputs are accepted through /v2 infer as raw bits only`);
  out[index] = value;
}

/**
 * One instance of a tensor input (no batch dimension) from JSON: nested arrays, or `{data, shape}` with
 * flat row-major data. `expected` gives the instance's dims (-1 = any). Returns the data and its dims.
 */
export function encodeTensor(dtype: Dtype, expected: ReadonlyArray<number>, value: unknown, where: string): { data: TypedArray; dims: number[] } {
  let flat: unknown[];
  let dims: number[];
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'data' in value) {
    const v = value as { data: unknown; shape?: unknown };
    if (!Array.isArray(v.data)) throw new BerthError('invalid_input', `${where}.data: expected a flat array, got ${describeValue(v.data)}`);
    if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw new BerthError('invalid_input', `${where}.shape: expected an array of non-negative integers, got ${describeValue(v.shape)}`);
    }
    dims = v.shape as number[];
    flat = v.data;
    if (flat.length !== elementCount(dims)) throw new BerthError('invalid_input', `${where}: shape ${JSON.stringify(dims)} needs ${elementCount(dims)} elements, data has ${flat.length}`);
  } else if (Array.isArray(value) || typeof value === 'number' || typeof value === 'boolean') {
    dims = nestedShape(value, where);
    flat = dims.length === 0 ? [value] : (value as unknown[]).flat(Infinity);
  } else {
    throw new BerthError('invalid_input', `${where}: expected an array of ${dtype} (without the batch dimension) or {data, shape}, got ${describeValue(value)}`);
  }
  if (dims.length !== expected.length || dims.some((d, i) => expected[i]! >= 0 && expected[i] !== d)) {
    throw new BerthError('invalid_input', `${where}: expected shape ${JSON.stringify(expected.map((d) => (d < 0 ? '?' : d)))} (one instance, no batch dimension), got ${JSON.stringify(dims)}`);
  }
  const data = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) store(dtype, data, i, flat[i], where);
  return { data, dims };
}
