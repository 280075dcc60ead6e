import type { CardOutput } from '../registry/index.js';
import { elementCount, jsonElement, type Dtype, type TensorData } from './dtypes.js';

/** How one graph output is read back, precomputed per loaded version. */
export interface OutputLayout {
  name: string;
  kind: NonNullable<CardOutput['kind']>;
  labels: string[] | undefined;
  activation: 'none' | 'softmax' | 'sigmoid';
}

export interface ClassProbability {
  label: string;
  probability: number;
}

/** One instance's answer. Classification fills label/confidence/probabilities/top_k; regression fills value. */
export interface Prediction {
  id: string;
  label?: string;
  confidence?: number;
  probabilities?: Record<string, number>;
  top_k?: ClassProbability[];
  value?: number | unknown[];
  /** Outputs the card does not decode (raw tensors), by name, without the batch dimension. */
  outputs?: Record<string, unknown>;
}

export function outputLayouts(outputs: readonly CardOutput[]): OutputLayout[] {
  return outputs.map((o) => {
    const kind = o.kind ?? (o.labels ? 'probabilities' : 'tensor');
    const activation = o.activation ?? (kind === 'logits' ? 'softmax' : 'none');
    return { name: o.name, kind, labels: o.labels, activation };
  });
}

/** Row `row` of a batched output as nested arrays (the row's own dims). */
export function rowValue(tensor: TensorData, row: number): unknown {
  const rowDims = tensor.dims.slice(1);
  const size = elementCount(rowDims);
  const start = row * size;
  const build = (depth: number, offset: number): unknown => {
    if (depth === rowDims.length) return jsonElement(tensor.type, tensor.data[offset]!);
    const stride = elementCount(rowDims.slice(depth + 1));
    return Array.from({ length: rowDims[depth]! }, (_, i) => build(depth + 1, offset + i * stride));
  };
  return build(0, start);
}

function rowNumbers(tensor: TensorData, row: number): number[] {
  const size = elementCount(tensor.dims.slice(1));
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) out[i] = Number(tensor.data[row * size + i]!);
  return out;
}

function softmax(values: number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function classProbabilities(layout: OutputLayout, scores: number[]): number[] {
  if (layout.activation === 'softmax') return softmax(scores);
  if (layout.activation === 'sigmoid') {
    // One logit for two labels is a binary classifier: [1 - p, p].
    if (scores.length === 1 && layout.labels?.length === 2) {
      const p = sigmoid(scores[0]!);
      return [1 - p, p];
    }
    return scores.map(sigmoid);
  }
  return scores;
}

/** Decodes instance `row` of a batch's outputs per the card; the first output is the primary one. */
export function decodeRow(id: string, outputs: Record<string, TensorData>, row: number, layouts: readonly OutputLayout[], topK: number): Prediction {
  const prediction: Prediction = { id };
  for (let index = 0; index < layouts.length; index++) {
    const layout = layouts[index]!;
    const tensor = outputs[layout.name];
    if (!tensor) continue;
    const decodes = index === 0 || layout.kind !== 'tensor';
    if (decodes && (layout.kind === 'probabilities' || layout.kind === 'logits') && prediction.label === undefined) {
      const probabilities = classProbabilities(layout, rowNumbers(tensor, row));
      const labels = layout.labels ?? probabilities.map((_, i) => String(i));
      let best = 0;
      const byLabel: Record<string, number> = {};
      for (let i = 0; i < probabilities.length; i++) {
        if (probabilities[i]! > probabilities[best]!) best = i;
        // A label may be any string; assigning to '__proto__' would set the prototype instead.
        if (labels[i] === '__proto__') Object.defineProperty(byLabel, '__proto__', { value: probabilities[i], enumerable: true, writable: true, configurable: true });
        else byLabel[labels[i]!] = probabilities[i]!;
      }
      prediction.label = labels[best]!;
      prediction.confidence = probabilities[best]!;
      prediction.probabilities = byLabel;
      if (topK > 0) {
        prediction.top_k = labels
          .map((label, i) => ({ label, probability: probabilities[i]! }))
          .sort((a, b) => b.probability - a.probability)
          .slice(0, topK);
      }
      continue;
    }
    if (decodes && layout.kind === 'value' && prediction.value === undefined) {
      const values = rowValue(tensor, row);
      prediction.value = Array.isArray(values) && values.length === 1 && !Array.isArray(values[0]) ? (values[0] as number) : (values as number | unknown[]);
      continue;
    }
    prediction.outputs ??= {};
    prediction.outputs[layout.name] = rowValue(tensor, row);
  }
  return prediction;
}

export type { Dtype };
