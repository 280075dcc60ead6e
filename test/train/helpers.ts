import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { encodeTabular, tabularLayout } from '../../src/inference/codecs/tabular-codec.js';
import type { ModelCard } from '../../src/registry/index.js';
import { readTrainingCsv, splitRows } from '../../src/train/index.js';
import { normal, rngFor, STREAM } from '../../src/train/prng.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BREAST_CANCER_CSV = path.join(ROOT, 'data/breast_cancer.csv');
export const SPLIT_FIXTURE = path.join(ROOT, 'test/fixtures/train/breast_cancer_split.json');
export const GOLDEN = path.join(ROOT, 'test/fixtures/goldens/train.json');
export const LABEL = 'diagnosis';
export const SEED = 1;
export const VALID_SPLIT = 0.2;

export function breastCancerRecords(): Array<Record<string, string>> {
  return readTrainingCsv(readFileSync(BREAST_CANCER_CSV, 'utf8'));
}

export interface SplitFixture {
  source: string;
  label: string;
  seed: number;
  valid_split: number;
  stratified: boolean;
  train: number[];
  valid: number[];
}

/** Every row of the file is usable, so the split over its labels is the split trainTabular reports. */
export function breastCancerSplitFixture(): SplitFixture {
  const labels = breastCancerRecords().map((r) => r[LABEL]!);
  const { train, valid } = splitRows(labels, VALID_SPLIT, SEED, true);
  return { source: 'data/breast_cancer.csv', label: LABEL, seed: SEED, valid_split: VALID_SPLIT, stratified: true, train, valid };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * What serving does with a JSON instance: numbers for number features (JSON would carry them as
 * numbers), strings for categories, then the card's tabular codec into a float32 batch.
 */
export function encodeAsServing(card: ModelCard, records: ReadonlyArray<Record<string, string>>): { data: Float32Array; width: number } {
  const input = card.inputs[0]!;
  if (input.kind !== 'tabular') throw new Error('expected a tabular input');
  const layout = tabularLayout(input);
  const data = new Float32Array(records.length * layout.width);
  records.forEach((record, i) => {
    const instance = Object.fromEntries(input.features.map((f) => [f.name, f.type === 'number' ? Number(record[f.name]) : record[f.name]]));
    encodeTabular(layout, instance, data, i * layout.width, `row ${i}: `);
  });
  return { data, width: layout.width };
}

/** Runs the model in onnxruntime-node on serving-encoded records; rows of the (single) output. */
export async function runOrt(onnx: Uint8Array, card: ModelCard, records: ReadonlyArray<Record<string, string>>): Promise<number[][]> {
  const { data, width } = encodeAsServing(card, records);
  const session = await ort.InferenceSession.create(onnx);
  try {
    const outputName = card.outputs[0]!.name;
    const result = await session.run({ [card.inputs[0]!.name]: new ort.Tensor('float32', data, [records.length, width]) });
    const tensor = result[outputName]!;
    const columns = Number(tensor.dims[1]);
    const values = tensor.data as Float32Array;
    return Array.from({ length: records.length }, (_, i) => Array.from(values.subarray(i * columns, i * columns + columns)));
  } finally {
    await session.release();
  }
}

/** Largest absolute difference between two equally shaped matrices (fails loudly on shape mismatch). */
export function maxAbsDifference(a: readonly number[][], b: readonly number[][]): number {
  if (a.length !== b.length) throw new Error(`row counts differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  a.forEach((row, i) => {
    const other = b[i]!;
    if (row.length !== other.length) throw new Error(`row ${i}: column counts differ: ${row.length} vs ${other.length}`);
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - other[j]!))));
  });
  return worst;
}

/** Cells as a CSV would hold them: full-precision decimal text. */
function cell(value: number): string {
  return String(value);
}

const COLOR_EFFECT: Record<string, number> = { red: 0, green: 2, blue: -1 };
const COLORS = Object.keys(COLOR_EFFECT);

/** y = 3·x1 − 2·x2 + color effect + N(0, 0.3²), from the trainer's own PRNG (stream "synthetic"). */
export function syntheticRegression(rows: number, seed = 11): Array<Record<string, string>> {
  const rng = rngFor(seed, STREAM.synthetic);
  return Array.from({ length: rows }, () => {
    const x1 = rng.next() * 4 - 2;
    const x2 = rng.next() * 4 - 2;
    const color = COLORS[Math.floor(rng.next() * COLORS.length)]!;
    const y = 3 * x1 - 2 * x2 + COLOR_EFFECT[color]! + 0.3 * normal(rng);
    return { x1: cell(x1), x2: cell(x2), color, y: cell(y) };
  });
}

const SHAPE_EFFECT: Record<string, number> = { circle: -1.5, square: 0, triangle: 1.5 };
const SHAPES = Object.keys(SHAPE_EFFECT);

/**
 * Three classes driven by a number and a category: score = x + shape effect + noise, cut into
 * "low" / "mid" / "high". A few rows carry an empty label or a "?" in x, to be dropped.
 */
export function syntheticClasses(rows: number, seed = 5): Array<Record<string, string>> {
  const rng = rngFor(seed, STREAM.synthetic);
  return Array.from({ length: rows }, (_, i) => {
    const x = rng.next() * 4 - 2;
    const shape = SHAPES[Math.floor(rng.next() * SHAPES.length)]!;
    const noise = 0.4 * normal(rng);
    const score = x + SHAPE_EFFECT[shape]! + noise;
    const band = score < -1 ? 'low' : score < 1 ? 'mid' : 'high';
    return { x: i % 50 === 7 ? '?' : cell(x), shape, band: i % 60 === 3 ? '' : band };
  });
}
