import { describe, expect, it } from 'vitest';
import { splitRows } from '../../src/train/index.js';
import { refusal } from '../helpers/refusals.js';

const labels = [...Array<string>(70).fill('a'), ...Array<string>(25).fill('b'), ...Array<string>(5).fill('c'), 'd'];

describe('splitRows', () => {
  it('partitions every row into ascending, disjoint train and valid sets', () => {
    const { train, valid } = splitRows(labels, 0.2, 1, true);
    expect([...train, ...valid].sort((x, y) => x - y)).toEqual(labels.map((_, i) => i));
    expect(train).toEqual([...train].sort((x, y) => x - y));
    expect(valid).toEqual([...valid].sort((x, y) => x - y));
  });

  it('stratified: round(count · share) of each class in valid, and never a class’s last row', () => {
    const { valid, train } = splitRows(labels, 0.2, 1, true);
    const count = (rows: number[], label: string): number => rows.filter((i) => labels[i] === label).length;
    expect(['a', 'b', 'c', 'd'].map((l) => count(valid, l))).toEqual([14, 5, 1, 0]);
    expect(count(train, 'd')).toBe(1);
    expect(count(splitRows(labels, 0.9, 1, true).train, 'c')).toBe(1);
  });

  it('unstratified: round(n · share) rows in valid, whatever their labels', () => {
    expect(splitRows(labels, 0.3, 1, false).valid).toHaveLength(30);
    expect(splitRows(labels, 0, 1, false)).toEqual({ train: labels.map((_, i) => i), valid: [] });
  });

  it('is a function of the seed: same seed, same split; another seed, another split', () => {
    expect(splitRows(labels, 0.2, 3, true)).toEqual(splitRows(labels, 0.2, 3, true));
    expect(splitRows(labels, 0.2, 3, true)).not.toEqual(splitRows(labels, 0.2, 4, true));
  });

  it('does not depend on the order classes first appear in', () => {
    const flipped = labels.map((l) => (l === 'a' ? 'b' : l === 'b' ? 'a' : l));
    const reordered = [...flipped.slice(70), ...flipped.slice(0, 70)];
    // Same classes, different positions: still stratified with the same per-class counts.
    const { valid } = splitRows(reordered, 0.2, 1, true);
    expect(valid.filter((i) => reordered[i] === 'b')).toHaveLength(14);
  });

  it('refuses a share outside [0, 0.9] and a seed outside 32 bits', () => {
    expect(refusal(() => splitRows(labels, 1, 1, true)).message).toBe('validSplit: expected a number in [0, 0.9], got 1');
    expect(refusal(() => splitRows(labels, 0.2, 2 ** 32, true)).code).toBe('invalid_input');
  });
});
