import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/errors/index.js';
import { assertAliasName, assertModelName, checkCardAgainstGraph, ModelCard, targetStack, type GraphSignature } from '../../src/registry/index.js';
import { parseWith } from '../../src/validation/index.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ALIAS = /^[a-z][a-z0-9_-]{0,63}$/;

function refusal(fn: () => unknown): BerthError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
}

describe('registry name rules (property)', () => {
  it('accepts exactly the model names the pattern allows, refusing the rest with invalid_input', () => {
    const names = fc.oneof(fc.stringMatching(NAME), fc.string({ maxLength: 140 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
    fc.assert(
      fc.property(names, (name) => {
        const err = refusal(() => assertModelName(name));
        if (NAME.test(name)) expect(err).toBeUndefined();
        else expect(err?.code).toBe('invalid_input');
      }),
      { numRuns: 500 },
    );
  });

  it('accepts exactly the alias names the pattern allows', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(ALIAS), fc.string({ maxLength: 70 })), (alias) => {
        expect(refusal(() => assertAliasName(alias)) === undefined).toBe(ALIAS.test(alias));
      }),
      { numRuns: 500 },
    );
  });
});

describe('rollback stack (property)', () => {
  type Entry = { action: 'set' | 'promote' | 'rollback' | 'delete'; to_version: number | null };

  /** Replays moves the way the registry does and records what each rollback would reach. */
  it('a rollback always returns to the target that preceded the current one', () => {
    const moves = fc.array(fc.oneof(fc.record({ kind: fc.constant('promote' as const), version: fc.integer({ min: 1, max: 9 }) }), fc.constant({ kind: 'rollback' as const }), fc.constant({ kind: 'delete' as const })), { maxLength: 40 });
    fc.assert(
      fc.property(moves, (ops) => {
        const history: Entry[] = [];
        const model: number[] = []; // the reference: an explicit stack of targets
        for (const op of ops) {
          if (op.kind === 'promote') {
            history.push({ action: 'promote', to_version: op.version });
            model.push(op.version);
          } else if (op.kind === 'delete') {
            if (model.length === 0) continue;
            history.push({ action: 'delete', to_version: null });
            model.length = 0;
          } else {
            const stack = targetStack(history);
            const previous = stack.length >= 2 ? stack[stack.length - 2] : undefined;
            expect(previous).toBe(model.length >= 2 ? model[model.length - 2] : undefined);
            if (previous === undefined) continue;
            history.push({ action: 'rollback', to_version: previous });
            model.pop();
          }
          expect(targetStack(history).at(-1)).toBe(model.at(-1));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('model card validation (property)', () => {
  const graph: GraphSignature = { inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 3] }], outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 2] }] };

  it('any JSON value either parses as a card or is refused with invalid_input naming a field; never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const err = refusal(() => parseWith(ModelCard, value, 'model card field'));
        if (err) {
          expect(err.code).toBe('invalid_input');
          expect(err.message).toMatch(/^model card field '.*': expected .+, got .+/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a tabular card matches the graph exactly when its encoded width is the graph width', () => {
    const feature = fc.oneof(
      fc.record({ type: fc.constant('number' as const) }),
      fc.record({ type: fc.constant('category' as const), values: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }), encoding: fc.constantFrom('onehot' as const, 'index' as const) }),
    );
    fc.assert(
      fc.property(fc.array(feature, { minLength: 1, maxLength: 5 }), (features) => {
        const named = features.map((f, i) => ({ name: `f${i}`, ...f }));
        const width = named.reduce((w, f) => w + (f.type === 'category' && f.encoding === 'onehot' ? f.values.length : 1), 0);
        const card = parseWith(ModelCard, { task: 'classification', inputs: [{ name: 'x', kind: 'tabular', features: named }], outputs: [{ name: 'y' }] }, 'card');
        const err = refusal(() => checkCardAgainstGraph(card, graph));
        if (width === 3) expect(err).toBeUndefined();
        else expect(err?.message).toContain(`dimension 1 is ${width} in the card but 3 in the graph`);
      }),
      { numRuns: 300 },
    );
  });
});
