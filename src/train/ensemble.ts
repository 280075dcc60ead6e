import onnxProto from 'onnx-proto';
import { BerthError } from '../errors/index.js';
import type { ModelCard } from '../registry/index.js';
import { INPUT_NAME } from './encode.js';
import { encodeModel, node } from './onnx-export.js';
import type { MetricSummary, TrainResult } from './types.js';

const { onnx } = onnxProto;

/**
 * Mean, sample std (ddof = 1, 0 for one run), min and max of each metric over runs (e.g. seeds),
 * keyed by metric name in sorted order; a metric missing from some runs is summarized over the rest.
 */
export function summarizeSeeds(results: ReadonlyArray<Pick<TrainResult, 'metrics'>>): Record<string, MetricSummary> {
  const names = [...new Set(results.flatMap((r) => Object.keys(r.metrics)))].sort();
  const summary: Record<string, MetricSummary> = {};
  for (const name of names) {
    const values = results.map((r) => r.metrics[name]).filter((v): v is number => v !== undefined);
    const n = values.length;
    const mean = values.reduce((s, v) => s + v, 0) / n;
    const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
    summary[name] = { mean, std, min: Math.min(...values), max: Math.max(...values), n };
  }
  return summary;
}

/** What members must share for their outputs to be averaged: the input (features, values) and the output (labels). */
function checkCompatible(results: ReadonlyArray<Pick<TrainResult, 'card'>>): void {
  if (results.length === 0) throw new BerthError('invalid_input', 'an ensemble needs at least one trained model', { members: 0 });
  const first = results[0]!.card;
  results.forEach((result, i) => {
    const card = result.card;
    if (card.task !== first.task) {
      throw new BerthError('invalid_input', `ensemble member ${i} is a ${card.task} model but member 0 is ${first.task}`, { member: i });
    }
    if (JSON.stringify(card.inputs) !== JSON.stringify(first.inputs)) {
      throw new BerthError('invalid_input', `ensemble member ${i} has different input features than member 0 (names, types or category values differ); train all members on the same columns`, { member: i });
    }
    if (JSON.stringify(card.outputs) !== JSON.stringify(first.outputs)) {
      throw new BerthError('invalid_input', `ensemble member ${i} has a different output than member 0 (labels differ)`, { member: i });
    }
  });
}

/**
 * One ONNX graph that runs every member on the shared "features" input and averages their outputs
 * (ONNX Mean): the members' probabilities for classification, values for regression. Each member's
 * nodes and weights are copied under a "member{i}/" prefix, so the graph is the members' own graphs.
 */
export function ensembleModel(results: ReadonlyArray<Pick<TrainResult, 'onnx' | 'card' | 'params'>>): { onnx: Uint8Array; card: ModelCard } {
  checkCompatible(results);
  const outputName = results[0]!.card.outputs[0]!.name;
  const nodes: Array<InstanceType<typeof onnx.NodeProto>> = [];
  const initializers: Array<InstanceType<typeof onnx.TensorProto>> = [];
  const memberOutputs: string[] = [];
  const members = results.map((r) => onnx.ModelProto.decode(r.onnx));
  const graphs = members.map((model, i) => {
    // Our own exports always have these; a decoded protobuf just types them as optional.
    const graph = model.graph;
    if (!graph?.node || !graph.initializer || !graph.input?.[0] || !graph.output?.[0]) {
      throw new BerthError('invalid_input', `ensemble member ${i}: its ONNX graph is not one the trainer wrote`, { member: i });
    }
    return { nodes: graph.node, initializers: graph.initializer, input: graph.input[0], output: graph.output[0] };
  });
  graphs.forEach((graph, i) => {
    const prefix = `member${i}/`;
    const renamed = (name: string | null | undefined): string => (!name || name === INPUT_NAME ? (name ?? '') : prefix + name);
    for (const n of graph.nodes) {
      nodes.push(onnx.NodeProto.create({ opType: n.opType, domain: n.domain, attribute: n.attribute, name: renamed(n.name), input: (n.input ?? []).map(renamed), output: (n.output ?? []).map(renamed) }));
    }
    for (const t of graph.initializers) initializers.push(onnx.TensorProto.create({ ...t, name: renamed(t.name) }));
    memberOutputs.push(renamed(graph.output.name));
  });
  nodes.push(node('Mean', memberOutputs, [outputName], 'ensemble/mean'));
  const graph = onnx.GraphProto.create({
    name: 'berth_tabular_ensemble',
    node: nodes,
    initializer: initializers,
    input: [graphs[0]!.input],
    output: [graphs[0]!.output],
  });
  const seeds = results.map((r) => r.params.seed ?? '?').join(', ');
  const description = `Mean of ${results.length} models (seeds ${seeds}): ${results[0]!.card.description ?? ''}`.slice(0, 20_000);
  // Members were validated on different rows, so no one validation score describes the mean; the
  // reference is member 0's training profile (members share columns, and differ only in the split).
  const { metrics: _memberMetrics, ...card } = results[0]!.card;
  return { onnx: encodeModel(graph, description), card: { ...card, description } };
}
