import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/errors/index.js';
import {
  evaluate,
  evaluateCondition,
  ExpressionEvaluationError,
  ExpressionSyntaxError,
  formatExpression,
  interpolate,
  interpolateValue,
  parseExpression,
  referencedPaths,
  templateExpressions,
  type ExpressionContext,
} from '../../src/pipelines/expressions.js';

const ctx: ExpressionContext = {
  params: { model: 'breast-cancer', min_improvement: 0.005, auto: true, off: false, zero: 0, empty: '', 'odd key': 'x' },
  steps: {
    prepare: { state: 'succeeded', outputs: { rows: 569, path: '/data/train.csv', nested: { list: [1, 2, { deep: 'yes' }] }, none: null } },
    'feature-eng': { state: 'failed', outputs: {} },
  },
  env: { HOME: '/home/berth' },
  run: { id: 'run-123', attempt: 2 },
};

const run = (text: string, context: ExpressionContext = ctx): unknown => evaluate(parseExpression(text), context);

function syntaxError(text: string): ExpressionSyntaxError {
  try {
    parseExpression(text);
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseExpression', () => {
  it('reads literals', () => {
    expect(run('42')).toBe(42);
    expect(run('-3.5')).toBe(-3.5);
    expect(run('1e3')).toBe(1000);
    expect(run('2.5E-2')).toBe(0.025);
    expect(run("'it\\'s'")).toBe("it's");
    expect(run('"a\\"b\\\\c\\n\\u00e9"')).toBe('a"b\\c\né');
    expect(run('true')).toBe(true);
    expect(run('false')).toBe(false);
    expect(run('null')).toBe(null);
  });

  it('reads paths with dots, quoted keys and indexes', () => {
    expect(run('steps.prepare.outputs.rows')).toBe(569);
    expect(run("steps['prepare'].outputs[\"path\"]")).toBe('/data/train.csv');
    expect(run('steps.prepare.outputs.nested.list[2].deep')).toBe('yes');
    expect(run("params['odd key']")).toBe('x');
    expect(run('steps.feature-eng.state')).toBe('failed');
    expect(run('run.attempt')).toBe(2);
  });

  it('gives JS precedence: ! over comparisons over equality over && over ||', () => {
    expect(formatExpression(parseExpression('a || b && c'))).toBe('a || b && c');
    expect(parseExpression('a || b && c')).toEqual(parseExpression('a || (b && c)'));
    expect(parseExpression('a == b < c')).toEqual(parseExpression('a == (b < c)'));
    expect(parseExpression('!a == b')).toEqual(parseExpression('(!a) == b'));
    expect(parseExpression('a && b && c')).toEqual(parseExpression('(a && b) && c'));
    expect(formatExpression(parseExpression('a && (b && c)'))).toBe('a && (b && c)');
    expect(formatExpression(parseExpression('!(a < 1)'))).toBe('!(a < 1)');
  });

  it.each([
    ['', 'empty'],
    ['a ==', 'unexpected end of expression'],
    ['a = 1', "'=' is not an operator; use =="],
    ['a === 1', "'===' is not an operator"],
    ['a & b', 'use &&'],
    ['a + 1', 'no arithmetic'],
    ['(a', "expected ')'"],
    ['a)', "unexpected ')'"],
    ["'open", 'unterminated string'],
    ['"\\q"', 'unknown escape'],
    ['a.', 'expected a field name'],
    ['a[-1]', 'non-negative integer index'],
    ['a[b]', 'quoted key'],
    ['1abc', 'malformed number'],
    ['1.2.3', 'malformed number'],
    ['1e999', 'out of range'],
    ['${{ a }}', "'${{' inside an expression"],
    ['a b', "unexpected 'b'"],
    ['#', 'unexpected character'],
  ])('refuses %j (%s)', (text, reason) => {
    const err = syntaxError(text);
    expect(err).toBeInstanceOf(BerthError);
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain(reason);
    expect(err.message).toMatch(/at position \d+/);
  });

  it('reports the position of the problem', () => {
    expect(syntaxError('params.a == ').position).toBe(12);
    expect(syntaxError('a && #').position).toBe(5);
    expect(syntaxError('x == "abc').position).toBe(5);
  });

  it('refuses pathological nesting instead of overflowing the stack', () => {
    expect(syntaxError('('.repeat(5000)).message).toContain('nested deeper');
    expect(syntaxError('!'.repeat(5000) + 'a').message).toContain('nested deeper');
    expect(syntaxError('a'.repeat(20_000)).message).toContain('longer than');
  });
});

describe('referencedPaths', () => {
  it('lists every path in source order', () => {
    expect(referencedPaths(parseExpression('steps.prepare.outputs.rows > 100 && params.auto'))).toEqual([
      ['steps', 'prepare', 'outputs', 'rows'],
      ['params', 'auto'],
    ]);
    expect(referencedPaths(parseExpression("!(a[0]['b c'] == 'x') || true"))).toEqual([['a', '0', 'b c']]);
    expect(referencedPaths(parseExpression('1 < 2'))).toEqual([]);
  });
});

describe('evaluate', () => {
  it('returns null for missing paths, never throws for them', () => {
    expect(run('params.nope')).toBe(null);
    expect(run('steps.ghost.outputs.x.y.z')).toBe(null);
    expect(run('steps.prepare.outputs.rows.x')).toBe(null);
    expect(run('steps.prepare.outputs.nested.list[9]')).toBe(null);
    expect(run('steps.prepare.outputs.none')).toBe(null);
    expect(run('unknown.root')).toBe(null);
  });

  it('does not reach JavaScript internals through paths', () => {
    expect(run('params.constructor')).toBe(null);
    expect(run('params.__proto__')).toBe(null);
    expect(run("params['toString']")).toBe(null);
    expect(run('steps.prepare.outputs.nested.list.length')).toBe(null);
  });

  it('compares strictly without coercion', () => {
    expect(run('1 == 1.0')).toBe(true);
    expect(run("1 == '1'")).toBe(false);
    expect(run("1 != '1'")).toBe(true);
    expect(run('true == 1')).toBe(false);
    expect(run('null == params.missing')).toBe(true);
    expect(run('steps.prepare.outputs.none == null')).toBe(true);
    expect(run("params.model == 'breast-cancer'")).toBe(true);
    expect(run('steps.prepare.outputs.nested == steps.prepare.outputs.nested')).toBe(true);
  });

  it('orders numbers with numbers and strings with strings only', () => {
    expect(run('steps.prepare.outputs.rows > 100')).toBe(true);
    expect(run('params.min_improvement <= 0.005')).toBe(true);
    expect(run("'abc' < 'abd'")).toBe(true);
    expect(() => run("1 < '2'")).toThrow(ExpressionEvaluationError);
    expect(() => run('params.missing > 3')).toThrow(/compares two numbers or two strings, got null null and number 3/);
    expect(() => run('true >= false')).toThrow(BerthError);
  });

  it('treats null, missing, false, 0 and empty string as falsy and returns booleans from && and ||', () => {
    for (const falsy of ['null', 'params.nope', 'false', 'params.zero', 'params.empty', 'params.off']) {
      expect(run(`!${falsy}`)).toBe(true);
      expect(run(`${falsy} || 'x'`)).toBe(true);
      expect(run(`${falsy} && true`)).toBe(false);
    }
    expect(run("'x' && 2")).toBe(true);
    expect(run('steps.prepare.outputs.nested && true')).toBe(true);
  });

  it('short-circuits, so a guard protects a comparison that would fail', () => {
    expect(run('params.missing != null && params.missing > 3')).toBe(false);
    expect(run('params.missing == null || params.missing > 3')).toBe(true);
  });
});

describe('evaluateCondition', () => {
  it('accepts bare and ${{ }}-wrapped conditions', () => {
    expect(evaluateCondition('steps.prepare.outputs.rows > 100 && params.auto', ctx)).toBe(true);
    expect(evaluateCondition('${{ steps.prepare.outputs.rows > 1000 }}', ctx)).toBe(false);
    expect(evaluateCondition('  ${{ params.model }}  ', ctx)).toBe(true);
    expect(evaluateCondition('params.empty', ctx)).toBe(false);
  });

  it('refuses conditions mixing text and expressions', () => {
    expect(() => evaluateCondition('${{ a }} && ${{ b }}', ctx)).toThrow(ExpressionSyntaxError);
  });
});

describe('templates', () => {
  it('interpolates values as text', () => {
    expect(interpolate('python3 prep.py "${{ params.model }}" --rows ${{steps.prepare.outputs.rows}}', ctx)).toBe(
      'python3 prep.py "breast-cancer" --rows 569',
    );
    expect(interpolate('${{ params.auto }}/${{ params.missing }}/${{ steps.prepare.outputs.none }}/${{ run.id }}', ctx)).toBe('true///run-123');
    expect(interpolate('${{ steps.prepare.outputs.nested }}', ctx)).toBe('{"list":[1,2,{"deep":"yes"}]}');
    expect(interpolate("${{ params.model == '}}' }}!", ctx)).toBe('false!');
    expect(interpolate('no templates ${ { here', ctx)).toBe('no templates ${ { here');
  });

  it('refuses an unterminated ${{', () => {
    expect(() => interpolate('echo ${{ params.model', ctx)).toThrow(/without a closing/);
  });

  it('lists the expressions of a template', () => {
    expect(templateExpressions('a ${{ params.x }} b ${{steps.s.outputs.y}}')).toEqual(['params.x', 'steps.s.outputs.y']);
    expect(templateExpressions('nothing here')).toEqual([]);
  });

  it('interpolates deep values, keeping the type of a lone expression', () => {
    const value = {
      rows: '${{ steps.prepare.outputs.rows }}',
      auto: ' ${{ params.auto }} ',
      missing: '${{ params.missing }}',
      label: 'diagnosis',
      text: 'n=${{ steps.prepare.outputs.rows }}',
      list: ['${{ run.attempt }}', 3, null, { deep: '${{ steps.prepare.outputs.nested.list }}' }],
      '${{ keys.stay }}': true,
    };
    expect(interpolateValue(value, ctx)).toEqual({
      rows: 569,
      auto: true,
      missing: null,
      label: 'diagnosis',
      text: 'n=569',
      list: [2, 3, null, { deep: [1, 2, { deep: 'yes' }] }],
      '${{ keys.stay }}': true,
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties

const emptyCtx: ExpressionContext = { params: {}, steps: {}, env: {}, run: { id: 'r', attempt: 1 } };

describe('properties', () => {
  it('number literals round-trip', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(run(String(n), emptyCtx)).toBe(n === 0 ? 0 : n);
      }),
    );
    fc.assert(fc.property(fc.integer(), (n) => run(String(n), emptyCtx) === n));
  });

  it('string literals round-trip in both quote styles', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 50 }), (s) => {
        expect(run(JSON.stringify(s), emptyCtx)).toBe(s);
        expect(run(`'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`, emptyCtx)).toBe(s);
      }),
    );
  });

  it('formatExpression output parses back to the same tree', () => {
    const leaf = fc.oneof(
      fc.constantFrom('params.a', "steps['x y'].outputs[0]", 'true', 'null', '"s"', '-2.5'),
    );
    const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.tuple(tie('node'), fc.constantFrom('==', '!=', '<', '>=', '&&', '||'), tie('node')).map(([l, op, r]) => `(${l} ${op} ${r})`),
        tie('node').map((x) => `!(${x})`),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (text) => {
        const expr = parseExpression(text);
        expect(parseExpression(formatExpression(expr))).toEqual(expr);
      }),
    );
  });

  /**
   * Random boolean trees over comparisons of numbers, strings and param paths, printed with only the
   * parentheses precedence requires (plus some extra), checked against JavaScript evaluating the same
   * text with === / !== — the languages share precedence, so any disagreement is a bug in ours.
   */
  it('boolean trees of comparisons evaluate like JavaScript', () => {
    type Node = { kind: 'cmp'; text: string } | { kind: 'not'; x: Node } | { kind: 'and' | 'or'; l: Node; r: Node };
    const params = { n1: 3, n2: -1.5, s1: 'abc', s2: 'abd', t: true, f: false };
    const num = fc.oneof(fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('params.n1', 'params.n2', '0.5', '-0.5', '3.0'));
    const str = fc.oneof(fc.constantFrom("'abc'", '"abd"', "''", 'params.s1', 'params.s2', "'b'"));
    const any = fc.oneof(num, str, fc.constantFrom('true', 'false', 'params.t', 'params.f'));
    const comparison = fc.oneof(
      fc.tuple(num, fc.constantFrom('<', '<=', '>', '>=', '==', '!='), num),
      fc.tuple(str, fc.constantFrom('<', '<=', '>', '>=', '==', '!='), str),
      fc.tuple(any, fc.constantFrom('==', '!='), any),
    ).map(([l, op, r]): Node => ({ kind: 'cmp', text: `${l} ${op} ${r}` }));
    const bare = fc.constantFrom<Node>({ kind: 'cmp', text: 'params.t' }, { kind: 'cmp', text: 'params.f' }, { kind: 'cmp', text: 'true' });
    const tree = fc.letrec<{ node: Node }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        comparison,
        bare,
        tie('node').map((x): Node => ({ kind: 'not', x })),
        fc.tuple(tie('node'), tie('node'), fc.constantFrom('and' as const, 'or' as const)).map(([l, r, kind]): Node => ({ kind, l, r })),
      ),
    })).node;

    const level = { or: 1, and: 2, cmp: 3, not: 4 } as const;
    const print = (node: Node, extra: () => boolean): string => {
      const wrap = (child: Node, min: number, rightSide: boolean): string => {
        const text = print(child, extra);
        const own = level[child.kind];
        const needed = own < min || (rightSide && own === min && child.kind !== 'cmp') || (child.kind === 'cmp' && min > level.cmp);
        return needed || extra() ? `(${text})` : text;
      };
      switch (node.kind) {
        case 'cmp':
          return node.text;
        case 'not':
          return `!${wrap(node.x, level.not, false)}`;
        case 'and':
          return `${wrap(node.l, level.and, false)} && ${wrap(node.r, level.and, true)}`;
        case 'or':
          return `${wrap(node.l, level.or, false)} || ${wrap(node.r, level.or, true)}`;
      }
    };

    fc.assert(
      fc.property(tree, fc.infiniteStream(fc.boolean()), (node, coins) => {
        const iterator = coins[Symbol.iterator]();
        const text = print(node, () => iterator.next().value === true);
        // Comparison leaves never contain '=' inside strings, so the operator rewrite is safe.
        const js = text.replace(/!=/g, '!==').replace(/==/g, '===').replace(/!===/g, '!==');
        const reference = Boolean(new Function('params', `return (${js});`)(params));
        const ours = evaluate(parseExpression(text), { ...emptyCtx, params });
        expect(typeof ours === 'boolean' ? ours : Boolean(ours)).toBe(reference);
      }),
      { numRuns: 500 },
    );
  });

  it('a template without ${{ interpolates to itself', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).filter((s) => !s.includes('${{')),
        (s) => {
          expect(interpolate(s, ctx)).toBe(s);
          expect(interpolateValue(s, ctx)).toBe(s);
        },
      ),
    );
  });

  it('the parser throws nothing but ExpressionSyntaxError', () => {
    const grammarish = fc
      .array(fc.constantFrom('(', ')', '!', '=', '==', '&&', '||', '<', '>=', 'a', 'b-c', '.', '[', ']', "'", '"', '\\', '1', '-', '2.5e3', 'e', ' ', 'true', 'null', '${{', '}}'), { maxLength: 40 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), grammarish), (text) => {
        try {
          parseExpression(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ExpressionSyntaxError);
        }
        try {
          templateExpressions(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ExpressionSyntaxError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
