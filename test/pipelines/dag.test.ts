import { describe, expect, it } from 'vitest';
import { describeCycle, downstreamOf, findCycle, topologicalOrder, upstreamOf, type DagNode } from '../../src/pipelines/dag.js';
import { refusal } from '../helpers/refusals.js';

const diamond: DagNode[] = [
  { id: 'report', needs: ['train', 'evaluate'] },
  { id: 'prepare' },
  { id: 'evaluate', needs: 'prepare' },
  { id: 'train', needs: ['prepare'] },
  { id: 'lint' },
];

describe('topologicalOrder', () => {
  it('puts every step after what it needs, file order among ready steps', () => {
    expect(topologicalOrder(diamond)).toEqual(['prepare', 'evaluate', 'train', 'report', 'lint']);
  });

  it('keeps file order when there are no needs', () => {
    expect(topologicalOrder([{ id: 'c' }, { id: 'a' }, { id: 'b' }])).toEqual(['c', 'a', 'b']);
  });

  it('is a valid order for random acyclic graphs', () => {
    for (let trial = 0; trial < 50; trial++) {
      const steps: DagNode[] = [];
      for (let i = 0; i < 20; i++) {
        const needs = steps.filter(() => Math.random() < 0.2).map((s) => s.id);
        steps.push({ id: `s${i}`, needs });
      }
      const shuffled = [...steps].sort(() => Math.random() - 0.5);
      const order = topologicalOrder(shuffled);
      expect(new Set(order).size).toBe(steps.length);
      for (const step of steps) {
        for (const dep of step.needs as string[]) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(step.id));
      }
    }
  });

  it('refuses cycles and unknown needs', () => {
    const cyclic = refusal(() => topologicalOrder([{ id: 'a', needs: ['c'] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }]));
    expect(cyclic.code).toBe('invalid_input');
    expect(cyclic.message).toContain('a needs c, c needs b, b needs a');
    const unknown = refusal(() => topologicalOrder([{ id: 'a', needs: ['ghost'] }]));
    expect(unknown.message).toContain('step "a" needs "ghost"');
  });
});

describe('findCycle', () => {
  it('returns null for acyclic graphs', () => {
    expect(findCycle(diamond)).toBeNull();
    expect(findCycle([])).toBeNull();
  });

  it('finds a self-need', () => {
    expect(findCycle([{ id: 'a' }, { id: 'b', needs: 'b' }])).toEqual(['b']);
  });

  it('returns the cycle with each step needing the next', () => {
    const steps: DagNode[] = [
      { id: 'start' },
      { id: 'a', needs: ['start', 'b'] },
      { id: 'b', needs: ['c'] },
      { id: 'c', needs: ['a'] },
    ];
    const cycle = findCycle(steps)!;
    expect(cycle).toEqual(['a', 'b', 'c']);
    expect(describeCycle(cycle)).toBe('a needs b, b needs c, c needs a');
  });

  it('ignores needs on unknown steps', () => {
    expect(findCycle([{ id: 'a', needs: ['ghost'] }])).toBeNull();
  });

  it('handles long chains without recursion limits', () => {
    const steps: DagNode[] = Array.from({ length: 20_000 }, (_, i) => ({ id: `s${i}`, needs: i > 0 ? [`s${i - 1}`] : [] }));
    expect(findCycle(steps)).toBeNull();
    steps[0] = { id: 's0', needs: ['s19999'] };
    expect(findCycle(steps)).toHaveLength(20_000);
  });
});

describe('upstreamOf / downstreamOf', () => {
  it('follows needs transitively', () => {
    expect(upstreamOf(diamond, 'report')).toEqual(new Set(['train', 'evaluate', 'prepare']));
    expect(upstreamOf(diamond, 'train')).toEqual(new Set(['prepare']));
    expect(upstreamOf(diamond, 'prepare')).toEqual(new Set());
    expect(upstreamOf(diamond, 'nope')).toEqual(new Set());
  });

  it('includes the step itself only through a cycle', () => {
    expect(upstreamOf([{ id: 'a', needs: 'b' }, { id: 'b', needs: 'a' }], 'a')).toEqual(new Set(['a', 'b']));
  });

  it('finds everything downstream', () => {
    expect(downstreamOf(diamond, 'prepare')).toEqual(new Set(['evaluate', 'train', 'report']));
    expect(downstreamOf(diamond, 'lint')).toEqual(new Set());
  });
});
