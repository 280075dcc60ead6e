import { BerthError } from '../errors/index.js';

/** The part of a step the graph needs. `needs` may still be in its file form (one id or a list). */
export interface DagNode {
  id: string;
  needs?: string | readonly string[] | undefined;
}

function needsOf(node: DagNode): readonly string[] {
  if (node.needs === undefined) return [];
  return typeof node.needs === 'string' ? [node.needs] : node.needs;
}

/**
 * A cycle in `needs`, as ids where each needs the next and the last needs the first
 * (`['a']` when a step needs itself), or null. The first cycle met walking the file in order, so the
 * answer is the same every time for the same file. Unknown ids in `needs` are ignored here.
 */
export function findCycle(steps: readonly DagNode[]): string[] | null {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  // Iterative DFS: pipelines are capped at 100 steps, but a recursion-free walk costs nothing and cannot overflow.
  for (const start of steps) {
    if (state.has(start.id)) continue;
    const frames: Array<{ id: string; next: number }> = [{ id: start.id, next: 0 }];
    state.set(start.id, 'visiting');
    stack.push(start.id);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const needs = needsOf(byId.get(frame.id)!);
      if (frame.next >= needs.length) {
        state.set(frame.id, 'done');
        stack.pop();
        frames.pop();
        continue;
      }
      const dep = needs[frame.next++]!;
      if (!byId.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === 'visiting') return stack.slice(stack.indexOf(dep));
      if (seen === 'done') continue;
      state.set(dep, 'visiting');
      stack.push(dep);
      frames.push({ id: dep, next: 0 });
    }
  }
  return null;
}

/** "a needs b, b needs c, c needs a": the shape of a cycle in words, for refusals. */
export function describeCycle(cycle: readonly string[]): string {
  return cycle.map((id, i) => `${id} needs ${cycle[(i + 1) % cycle.length]}`).join(', ');
}

/**
 * Step ids in an order where every step comes after everything it needs. Among steps that are ready at
 * the same time the one earlier in the file goes first, so runs and `--dry-run` listings are predictable.
 * Refuses unknown ids in `needs` and cycles.
 */
export function topologicalOrder(steps: readonly DagNode[]): string[] {
  const ids = new Set(steps.map((s) => s.id));
  for (const step of steps) {
    for (const dep of needsOf(step)) {
      if (!ids.has(dep)) {
        throw new BerthError('invalid_input', `step "${step.id}" needs "${dep}", which is not a step in this pipeline`, { step: step.id, need: dep });
      }
    }
  }
  const cycle = findCycle(steps);
  if (cycle) throw new BerthError('invalid_input', `steps form a cycle: ${describeCycle(cycle)}`, { cycle });

  const done = new Set<string>();
  const order: string[] = [];
  const pending = [...steps];
  while (pending.length > 0) {
    const index = pending.findIndex((s) => needsOf(s).every((dep) => done.has(dep)));
    // Unreachable after the cycle check; kept so a bug shows up as an error, not an endless loop.
    if (index < 0) throw new BerthError('internal', 'topological order: no step is ready');
    const [step] = pending.splice(index, 1);
    done.add(step!.id);
    order.push(step!.id);
  }
  return order;
}

/** Every step `id` depends on, directly or through other steps (not `id` itself unless it is in a cycle). */
export function upstreamOf(steps: readonly DagNode[], id: string): Set<string> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const found = new Set<string>();
  const queue = [...needsOf(byId.get(id) ?? { id })];
  while (queue.length > 0) {
    const dep = queue.shift()!;
    if (found.has(dep) || !byId.has(dep)) continue;
    found.add(dep);
    queue.push(...needsOf(byId.get(dep)!));
  }
  return found;
}

/** Every step that depends on `id`, directly or not: what a failure of `id` skips. */
export function downstreamOf(steps: readonly DagNode[], id: string): Set<string> {
  const found = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const step of steps) {
      if (found.has(step.id)) continue;
      if (needsOf(step).some((dep) => dep === id || found.has(dep))) {
        found.add(step.id);
        grew = true;
      }
    }
  }
  return found;
}
