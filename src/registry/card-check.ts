import { BerthError } from '../errors/index.js';
import { encodedWidth, type CardInput, type CardOutput, type ModelCard, type TensorDtype } from './card.js';
import { isFixedDim, type GraphSignature, type TensorSignature } from './onnx-graph.js';

const TENSOR_DTYPES = new Set<string>([
  'float32', 'float64', 'float16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'string',
]);

function shapeText(shape: ReadonlyArray<number | string>): string {
  return `[${shape.map((d) => (typeof d === 'string' ? d : d < 0 ? '?' : String(d))).join(', ')}]`;
}

/** Compares declared dims with the graph's; a variable dim on either side matches anything. */
function compareShapes(what: string, declared: ReadonlyArray<number | string>, graph: TensorSignature, problems: string[]): void {
  if (graph.shape.length === 0) return; // graph does not declare a shape: nothing to hold it to
  if (declared.length !== graph.shape.length) {
    problems.push(`${what}: card declares rank ${declared.length} ${shapeText(declared)}, graph has rank ${graph.shape.length} ${shapeText(graph.shape)}`);
    return;
  }
  declared.forEach((dim, i) => {
    const g = graph.shape[i]!;
    if (isFixedDim(dim) && isFixedDim(g) && dim !== g) {
      problems.push(`${what}: dimension ${i} is ${dim} in the card but ${g} in the graph ${shapeText(graph.shape)}`);
    }
  });
}

function expectedInputShape(input: CardInput): Array<number | string> {
  switch (input.kind) {
    case 'tensor':
      return input.shape;
    case 'tabular':
      return [-1, encodedWidth(input.features)];
    case 'image':
      return input.layout === 'NCHW' ? [-1, input.channels, input.height, input.width] : [-1, input.height, input.width, input.channels];
  }
}

function expectedInputDtype(input: CardInput): TensorDtype {
  switch (input.kind) {
    case 'tensor':
      return input.dtype;
    case 'tabular':
      return input.dtype ?? 'float32';
    case 'image':
      return input.dtype ?? 'float32';
  }
}

function checkInternalConsistency(card: ModelCard, problems: string[]): void {
  const seenInputs = new Set<string>();
  for (const input of card.inputs) {
    if (seenInputs.has(input.name)) problems.push(`input '${input.name}' is declared twice`);
    seenInputs.add(input.name);
    if (input.kind === 'tabular') {
      const names = new Set<string>();
      for (const f of input.features) {
        if (names.has(f.name)) problems.push(`input '${input.name}': feature '${f.name}' is declared twice`);
        names.add(f.name);
        if (f.type === 'number' && f.min !== undefined && f.max !== undefined && f.min > f.max) {
          problems.push(`input '${input.name}': feature '${f.name}' has min ${f.min} above max ${f.max}`);
        }
        if (f.type === 'category' && new Set(f.values).size !== f.values.length) {
          problems.push(`input '${input.name}': feature '${f.name}' lists a category value twice`);
        }
      }
    }
    if (input.kind === 'image') {
      for (const [key, list] of [['mean', input.mean], ['std', input.std]] as const) {
        if (list && list.length !== 1 && list.length !== input.channels) {
          problems.push(`input '${input.name}': ${key} has ${list.length} values but the image has ${input.channels} channels`);
        }
      }
    }
  }
  const seenOutputs = new Set<string>();
  for (const output of card.outputs) {
    if (seenOutputs.has(output.name)) problems.push(`output '${output.name}' is declared twice`);
    seenOutputs.add(output.name);
  }
}

/**
 * Holds a card to the graph it describes: the same input names, element types and ranks (and fixed
 * sizes where both say), outputs that exist with agreeing types, label counts that fit. Returns the
 * card completed with graph outputs it did not mention (as raw tensors), or throws `card_mismatch`
 * listing every disagreement.
 */
export function checkCardAgainstGraph(card: ModelCard, graph: GraphSignature): ModelCard {
  const problems: string[] = [];
  checkInternalConsistency(card, problems);

  const graphInputs = new Map(graph.inputs.map((t) => [t.name, t]));
  const graphOutputs = new Map(graph.outputs.map((t) => [t.name, t]));
  for (const input of card.inputs) {
    const g = graphInputs.get(input.name);
    if (!g) {
      problems.push(`input '${input.name}' is in the card but not in the graph (graph inputs: ${[...graphInputs.keys()].join(', ')})`);
      continue;
    }
    const dtype = expectedInputDtype(input);
    if (g.dtype !== dtype) problems.push(`input '${input.name}': card says element type ${dtype}, graph says ${g.dtype}`);
    compareShapes(`input '${input.name}'`, expectedInputShape(input), g, problems);
  }
  for (const name of graphInputs.keys()) {
    if (!card.inputs.some((i) => i.name === name)) problems.push(`graph input '${name}' is not described in the card`);
  }

  for (const output of card.outputs) {
    const g = graphOutputs.get(output.name);
    if (!g) {
      problems.push(`output '${output.name}' is in the card but not in the graph (graph outputs: ${[...graphOutputs.keys()].join(', ')})`);
      continue;
    }
    if (output.dtype && g.dtype !== output.dtype) problems.push(`output '${output.name}': card says element type ${output.dtype}, graph says ${g.dtype}`);
    if (output.shape) compareShapes(`output '${output.name}'`, output.shape, g, problems);
    const classColumns = g.shape.length >= 2 ? g.shape[g.shape.length - 1]! : undefined;
    if (output.labels && classColumns !== undefined && isFixedDim(classColumns) && classColumns !== output.labels.length) {
      problems.push(`output '${output.name}': card lists ${output.labels.length} labels but the graph gives ${classColumns} columns`);
    }
    if ((output.kind === 'probabilities' || output.kind === 'logits') && g.dtype !== 'float32' && g.dtype !== 'float64') {
      problems.push(`output '${output.name}': ${output.kind} must be float32 or float64, graph gives ${g.dtype}`);
    }
  }

  if (problems.length > 0) {
    const message = problems.length === 1 ? `model card does not match the ONNX graph: ${problems[0]}` : `model card does not match the ONNX graph in ${problems.length} places: ${problems.join('; ')}`;
    throw new BerthError('card_mismatch', message, { problems, graph });
  }

  const described = new Set(card.outputs.map((o) => o.name));
  const completed: CardOutput[] = [
    ...card.outputs.map((o) => ({ ...o, dtype: o.dtype ?? (graphOutputs.get(o.name)!.dtype as TensorDtype) })),
    ...graph.outputs.filter((o) => !described.has(o.name)).map(rawOutput),
  ];
  return { ...card, outputs: completed };
}

function rawOutput(t: TensorSignature): CardOutput {
  return { name: t.name, kind: 'tensor', ...(TENSOR_DTYPES.has(t.dtype) ? { dtype: t.dtype as TensorDtype } : {}), shape: t.shape };
}

/**
 * A card for a model registered without one: every input a raw tensor, every output a raw tensor.
 * Non-tensor inputs (sequences, maps) cannot be described and are refused.
 */
export function deriveCard(graph: GraphSignature): ModelCard {
  const bad = graph.inputs.filter((t) => !TENSOR_DTYPES.has(t.dtype));
  if (bad.length > 0) {
    throw new BerthError('card_mismatch', `cannot derive a card: input(s) ${bad.map((t) => `'${t.name}'`).join(', ')} are not tensors; provide a card`);
  }
  return {
    task: 'generic',
    derived: true,
    inputs: graph.inputs.map((t) => ({ name: t.name, kind: 'tensor' as const, dtype: t.dtype as TensorDtype, shape: t.shape })),
    outputs: graph.outputs.map(rawOutput),
  };
}
