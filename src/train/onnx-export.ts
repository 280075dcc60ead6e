import onnxProto from 'onnx-proto';
import { INPUT_NAME } from './encode.js';
import { outputWidth, width, type Network } from './network.js';

const { onnx } = onnxProto;

/** IR 8 / opset 13: what onnx-proto (ONNX 1.10) writes, and well inside what onnxruntime 1.30 loads. */
export const IR_VERSION = 8;
export const OPSET = 13;
export const PRODUCER = 'berth-train';
export const BATCH_DIM = 'batch';
export const PROBABILITIES = 'probabilities';
export const VALUE = 'value';

type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

/** A float32 initializer, little-endian raw bytes (the compact form, and byte-stable across runs). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): Tensor {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes });
}

export function node(opType: string, inputs: string[], outputs: string[], name: string): Node {
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, name });
}

/** A float32 [batch, columns] tensor declaration. */
export function matrixValueInfo(name: string, columns: number): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: BATCH_DIM }, { dimValue: columns }] },
      },
    },
  });
}

export function encodeModel(graph: InstanceType<typeof onnx.GraphProto>, docString: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: PRODUCER,
    docString,
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The network as one ONNX graph: features → Sub(mean) → Div(scale) → [MatMul → Add → Relu]* → MatMul →
 * Add → Softmax ("probabilities") or → Mul(target scale) → Add(target mean) ("value", [batch, 1]).
 * No timestamps or random names go in, so the same network always gives the same bytes.
 */
export function exportNetwork(network: Network, docString: string): Uint8Array {
  const d = width(network);
  const initializers: Tensor[] = [floatTensor('mean', [d], network.mean), floatTensor('scale', [d], network.scale)];
  const nodes: Node[] = [node('Sub', [INPUT_NAME, 'mean'], ['centered'], 'center'), node('Div', ['centered', 'scale'], ['standardized'], 'standardize')];
  let current = 'standardized';
  network.layers.forEach((layer, l) => {
    const prefix = `dense${l}`;
    initializers.push(floatTensor(`${prefix}/weights`, [layer.inputs, layer.outputs], layer.weights), floatTensor(`${prefix}/bias`, [layer.outputs], layer.bias));
    nodes.push(node('MatMul', [current, `${prefix}/weights`], [`${prefix}/product`], `${prefix}/matmul`));
    nodes.push(node('Add', [`${prefix}/product`, `${prefix}/bias`], [`${prefix}/out`], `${prefix}/add`));
    current = `${prefix}/out`;
    if (l < network.layers.length - 1) {
      nodes.push(node('Relu', [current], [`${prefix}/relu`], `${prefix}/relu`));
      current = `${prefix}/relu`;
    }
  });
  let output: string;
  if (network.head === 'softmax') {
    output = PROBABILITIES;
    // Opset 13 Softmax normalizes along the last axis (axis = -1) by default: one row per instance.
    nodes.push(node('Softmax', [current], [output], 'softmax'));
  } else {
    output = VALUE;
    const target = network.target ?? { mean: 0, scale: 1 };
    initializers.push(floatTensor('target/scale', [1], [target.scale]), floatTensor('target/mean', [1], [target.mean]));
    nodes.push(node('Mul', [current, 'target/scale'], ['target/scaled'], 'target/unscale'));
    nodes.push(node('Add', ['target/scaled', 'target/mean'], [output], 'target/unshift'));
  }
  const graph = onnx.GraphProto.create({
    name: 'berth_tabular',
    node: nodes,
    initializer: initializers,
    input: [matrixValueInfo(INPUT_NAME, d)],
    output: [matrixValueInfo(output, outputWidth(network))],
  });
  return encodeModel(graph, docString);
}
