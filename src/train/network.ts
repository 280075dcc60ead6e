import { matmul } from './linalg.js';

/** A dense layer: weights (inputs × outputs, row-major, as ONNX MatMul wants them) and bias. */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weights: Float64Array;
  bias: Float64Array;
}

/**
 * Everything the exported graph computes, and nothing else: standardize, dense layers with ReLU between
 * them, then softmax (classification) or un-standardize the target (regression). The trainer's
 * predict() and the ONNX export both read this one structure, so they cannot drift apart.
 */
export interface Network {
  mean: Float64Array;
  scale: Float64Array;
  layers: DenseLayer[];
  head: 'softmax' | 'value';
  /** Regression only: the graph outputs value · scale + mean. */
  target?: { mean: number; scale: number };
}

export function width(network: Network): number {
  return network.mean.length;
}

export function outputWidth(network: Network): number {
  return network.layers[network.layers.length - 1]!.outputs;
}

/** Softmax of each row of z (n×k), in place, shifted by the row max so exp cannot overflow. */
export function softmaxRows(z: Float64Array, n: number, k: number): Float64Array {
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, z[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(z[i * k + c]! - max);
      z[i * k + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) z[i * k + c]! /= sum;
  }
  return z;
}

/** Dense layers with ReLU between them on already standardized inputs (n × inputs) → n × outputs, pre-head. */
export function forwardLayers(layers: readonly DenseLayer[], x: Float64Array, n: number): Float64Array {
  let h = x;
  layers.forEach((layer, l) => {
    const out = matmul(h, n, layer.inputs, layer.weights, layer.outputs, new Float64Array(n * layer.outputs), layer.bias);
    if (l < layers.length - 1) for (let i = 0; i < out.length; i++) out[i] = Math.max(0, out[i]!);
    h = out;
  });
  return h;
}

/** The head on pre-head outputs z (n × outputs), in place: probabilities, or values in the target's units. */
export function applyHead(network: Network, z: Float64Array, n: number): Float64Array {
  if (network.head === 'softmax') return softmaxRows(z, n, outputWidth(network));
  const target = network.target ?? { mean: 0, scale: 1 };
  for (let i = 0; i < z.length; i++) z[i] = z[i]! * target.scale + target.mean;
  return z;
}

/** The whole graph on encoded (not yet standardized) rows x (n × width), in float64. */
export function forward(network: Network, x: Float64Array, n: number): Float64Array {
  const d = width(network);
  const standardized = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) standardized[i * d + j] = (x[i * d + j]! - network.mean[j]!) / network.scale[j]!;
  }
  return applyHead(network, forwardLayers(network.layers, standardized, n), n);
}

function fround(values: Float64Array): Float64Array {
  return values.map((v) => Math.fround(v));
}

/**
 * The network with every parameter rounded to float32, which is what the ONNX file holds. Metrics
 * and predict() use this one, so they describe the shipped model rather than its float64 parent.
 */
export function asFloat32(network: Network): Network {
  return {
    mean: fround(network.mean),
    scale: fround(network.scale),
    layers: network.layers.map((l) => ({ ...l, weights: fround(l.weights), bias: fround(l.bias) })),
    head: network.head,
    ...(network.target ? { target: { mean: Math.fround(network.target.mean), scale: Math.fround(network.target.scale) } } : {}),
  };
}
