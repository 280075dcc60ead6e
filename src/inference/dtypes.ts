import type { TensorDtype } from '../registry/index.js';

/** Element types Berth can feed and read, in onnxruntime-node spelling. */
export type Dtype = Exclude<TensorDtype, 'string'>;

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

type TypedArrayConstructor = { new (length: number): TypedArray; new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };

/** float16 is carried as raw Uint16 bit patterns; bool as Uint8 (what onnxruntime-node expects). */
export const TYPED_ARRAYS: Record<Dtype, TypedArrayConstructor> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Open Inference Protocol datatype names. */
export const OIP_DATATYPES: Record<Dtype, string> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
};

export const DTYPE_OF_OIP: Record<string, Dtype> = Object.fromEntries(Object.entries(OIP_DATATYPES).map(([d, o]) => [o, d as Dtype]));

export function isDtype(value: string): value is Dtype {
  return value in TYPED_ARRAYS;
}

export function allocate(dtype: Dtype, length: number): TypedArray {
  return new TYPED_ARRAYS[dtype](length);
}

const SLAB_BYTES = 64 * 1024;
const SMALL_BYTES = 4 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/**
 * `allocate` for the predict path's small arrays (one request's rows): a view cut from a shared 64 KiB
 * slab. V8 allocates every typed array's own buffer through its runtime (about 300 ns for 30 floats); a
 * view costs about 25 ns. A slab is never handed out twice: it is freed when its last view is.
 * Such a view does not own its buffer, so it must be copied, not transferred, to another thread.
 */
export function allocateSmall(dtype: Dtype, length: number): TypedArray {
  const Type = TYPED_ARRAYS[dtype];
  const bytes = length * Type.BYTES_PER_ELEMENT;
  if (bytes > SMALL_BYTES) return new Type(length);
  if (slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = new Type(slab, slabUsed, length);
  slabUsed += (bytes + 7) & ~7; // 8-byte aligned, as BigInt64Array and Float64Array views need
  return view;
}

/** Whether the array spans its whole buffer (so the buffer can be transferred without taking others' data). */
export function ownsBuffer(data: TypedArray): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}

/** A tensor as Berth passes it around: element type, flat row-major data, dimensions. */
export interface TensorData {
  type: Dtype;
  data: TypedArray;
  dims: number[];
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** One element as JSON can carry it: int64 as a number (exact below 2^53), bool as true/false. */
export function jsonElement(dtype: Dtype, value: number | bigint): number | boolean {
  if (dtype === 'bool') return value !== 0 && value !== 0n;
  return typeof value === 'bigint' ? Number(value) : value;
}
