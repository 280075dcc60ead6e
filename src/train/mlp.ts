import { columnSums, matmul, matmulTransA, matmulTransB } from './linalg.js';
import { lossAndGradient } from './loss.js';
import type { DenseLayer } from './network.js';
import { normal, shuffleInPlace, type Rng } from './prng.js';

export interface MlpProblem {
  /** Standardized training rows, n × d. */
  x: Float64Array;
  n: number;
  d: number;
  /** Class index (softmax) or standardized target (squared), per row. */
  targets: Float64Array;
  kind: 'softmax' | 'squared';
  outputs: number;
  hidden: readonly number[];
  /** Weight of ½‖W‖² against the summed loss (scikit-learn MLP's alpha); biases are not penalized. */
  l2: number;
  epochs: number;
  learningRate: number;
  batchSize: number;
  initRng: Rng;
  shuffleRng: Rng;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** He initialisation (normal, variance 2/fan_in), which keeps ReLU activations from shrinking layer by layer. */
function initLayers(problem: MlpProblem): DenseLayer[] {
  const sizes = [problem.d, ...problem.hidden, problem.outputs];
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    const std = Math.sqrt(2 / inputs);
    const weights = new Float64Array(inputs * outputs);
    for (let i = 0; i < weights.length; i++) weights[i] = normal(problem.initRng) * std;
    layers.push({ inputs, outputs, weights, bias: new Float64Array(outputs) });
  }
  return layers;
}

class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  update(params: Float64Array, grad: Float64Array, learningRate: number, step: number): void {
    const correction1 = 1 - BETA1 ** step;
    const correction2 = 1 - BETA2 ** step;
    for (let i = 0; i < params.length; i++) {
      this.m[i] = BETA1 * this.m[i]! + (1 - BETA1) * grad[i]!;
      this.v[i] = BETA2 * this.v[i]! + (1 - BETA2) * grad[i]! * grad[i]!;
      params[i]! -= (learningRate * (this.m[i]! / correction1)) / (Math.sqrt(this.v[i]! / correction2) + ADAM_EPSILON);
    }
  }
}

/**
 * Mini-batch Adam on the batch-mean loss plus (l2 / 2n)·‖W‖², i.e. the summed objective divided by
 * n, so l2 means the same as for logreg. Rows are reshuffled each epoch from the shuffle stream.
 */
export function fitMlp(problem: MlpProblem, onEpoch?: (epoch: number, layers: DenseLayer[]) => void): DenseLayer[] {
  const { x, n, d, targets, kind, l2 } = problem;
  const layers = initLayers(problem);
  const weightAdam = layers.map((l) => new Adam(l.weights.length));
  const biasAdam = layers.map((l) => new Adam(l.bias.length));
  const batchSize = Math.min(problem.batchSize, n);
  const order = Array.from({ length: n }, (_, i) => i);
  // Buffers sized for a full batch, reused; subarrays cover a short last batch.
  const batchX = new Float64Array(batchSize * d);
  const batchTargets = new Float64Array(batchSize);
  const pre = layers.map((l) => new Float64Array(batchSize * l.outputs));
  const post = layers.map((l) => new Float64Array(batchSize * l.outputs));
  const delta = layers.map((l) => new Float64Array(batchSize * l.outputs));
  const weightGradient = layers.map((l) => new Float64Array(l.weights.length));
  const biasGradient = layers.map((l) => new Float64Array(l.bias.length));
  let step = 0;
  for (let epoch = 1; epoch <= problem.epochs; epoch++) {
    shuffleInPlace(order, problem.shuffleRng);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      for (let b = 0; b < size; b++) {
        const row = order[start + b]!;
        batchX.set(x.subarray(row * d, row * d + d), b * d);
        batchTargets[b] = targets[row]!;
      }
      let input = batchX.subarray(0, size * d);
      layers.forEach((layer, l) => {
        const z = matmul(input, size, layer.inputs, layer.weights, layer.outputs, pre[l]!.subarray(0, size * layer.outputs), layer.bias);
        const a = post[l]!.subarray(0, size * layer.outputs);
        if (l < layers.length - 1) for (let i = 0; i < z.length; i++) a[i] = Math.max(0, z[i]!);
        else a.set(z);
        input = a;
      });
      const last = layers.length - 1;
      const outputDelta = delta[last]!.subarray(0, size * layers[last]!.outputs);
      lossAndGradient(kind, post[last]!.subarray(0, size * layers[last]!.outputs), size, layers[last]!.outputs, batchTargets, outputDelta);
      for (let i = 0; i < outputDelta.length; i++) outputDelta[i]! /= size;
      step++;
      for (let l = last; l >= 0; l--) {
        const layer = layers[l]!;
        const dz = delta[l]!.subarray(0, size * layer.outputs);
        const layerInput = l === 0 ? batchX.subarray(0, size * d) : post[l - 1]!.subarray(0, size * layer.inputs);
        matmulTransA(layerInput, size, layer.inputs, dz, layer.outputs, weightGradient[l]!);
        columnSums(dz, size, layer.outputs, biasGradient[l]!);
        for (let i = 0; i < layer.weights.length; i++) weightGradient[l]![i]! += (l2 / n) * layer.weights[i]!;
        if (l > 0) {
          // Through the weights (before they move), then through the ReLU of the layer below.
          const below = delta[l - 1]!.subarray(0, size * layer.inputs);
          matmulTransB(dz, size, layer.outputs, layer.weights, layer.inputs, below);
          const belowPre = pre[l - 1]!;
          for (let i = 0; i < below.length; i++) if (belowPre[i]! <= 0) below[i] = 0;
        }
        weightAdam[l]!.update(layer.weights, weightGradient[l]!, problem.learningRate, step);
        biasAdam[l]!.update(layer.bias, biasGradient[l]!, problem.learningRate, step);
      }
    }
    onEpoch?.(epoch, layers);
  }
  return layers;
}
