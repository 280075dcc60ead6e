import { BerthError } from '../errors/index.js';
import { rngFor, shuffleInPlace, STREAM } from './prng.js';

export const MAX_VALID_SPLIT = 0.9;

export function checkValidSplit(validSplit: number): void {
  if (typeof validSplit !== 'number' || !Number.isFinite(validSplit) || validSplit < 0 || validSplit > MAX_VALID_SPLIT) {
    throw new BerthError('invalid_input', `validSplit: expected a number in [0, ${MAX_VALID_SPLIT}], got ${String(validSplit)}`, { option: 'validSplit' });
  }
}

export function checkSeed(seed: number): void {
  // mulberry32 keeps 32 bits of state: larger seeds would silently collide with smaller ones.
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new BerthError('invalid_input', `seed: expected an integer in [0, 4294967295], got ${String(seed)}`, { option: 'seed' });
  }
}

/**
 * Splits row positions 0..labels.length-1 into train and validation, both ascending. Stratified: each
 * label contributes round(count · validSplit) rows to validation, but always keeps at least one in
 * train, so every class is learned. Labels are visited in sorted order so the result does not depend
 * on which class happens to come first in the file.
 */
export function splitRows(labels: readonly string[], validSplit: number, seed: number, stratify: boolean): { train: number[]; valid: number[] } {
  checkValidSplit(validSplit);
  checkSeed(seed);
  const rng = rngFor(seed, STREAM.split);
  const groups = new Map<string, number[]>();
  if (stratify) {
    labels.forEach((label, i) => {
      const group = groups.get(label);
      if (group) group.push(i);
      else groups.set(label, [i]);
    });
  } else {
    groups.set('', labels.map((_, i) => i));
  }
  const train: number[] = [];
  const valid: number[] = [];
  for (const key of [...groups.keys()].sort()) {
    const rows = shuffleInPlace(groups.get(key)!, rng);
    const take = Math.min(Math.round(rows.length * validSplit), rows.length - 1);
    for (let i = 0; i < rows.length; i++) (i < take ? valid : train).push(rows[i]!);
  }
  const ascending = (a: number, b: number): number => a - b;
  return { train: train.sort(ascending), valid: valid.sort(ascending) };
}
