import type * as ort from 'onnxruntime-node';
import { BerthError } from '../errors/index.js';

/** One graph input or output as onnxruntime reads it. Variable dims are -1 or their symbolic name. */
export interface TensorSignature {
  name: string;
  /** onnxruntime-node element type (`float32`, `int64`, ...), or `non-tensor` for sequences and maps. */
  dtype: string;
  /** Empty when the graph does not declare a shape. */
  shape: Array<number | string>;
}

export interface GraphSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

function toSignature(meta: ort.InferenceSession.ValueMetadata): TensorSignature {
  if (!meta.isTensor) return { name: meta.name, dtype: 'non-tensor', shape: [] };
  return {
    name: meta.name,
    dtype: meta.type,
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d !== '' ? d : -1)),
  };
}

/**
 * Parses an ONNX model with onnxruntime itself (the engine that will serve it), so a file that
 * registers is a file that loads. Anything onnxruntime cannot load is `invalid_onnx`.
 */
export async function readGraphSignature(model: Uint8Array): Promise<GraphSignature> {
  // Loaded on first use: the native runtime costs ~0.5 s at startup and most CLI commands never need it.
  const { InferenceSession } = await import('onnxruntime-node');
  let session: ort.InferenceSession;
  try {
    session = await InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  } catch (err) {
    const reason = (err as Error).message.replace(/^Error:\s*/, '');
    throw new BerthError('invalid_onnx', `the file is not a model onnxruntime can load: ${reason}`);
  }
  try {
    return { inputs: session.inputMetadata.map(toSignature), outputs: session.outputMetadata.map(toSignature) };
  } finally {
    await session.release();
  }
}

export function isFixedDim(dim: number | string): dim is number {
  return typeof dim === 'number' && dim >= 0;
}
