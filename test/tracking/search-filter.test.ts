import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../../src/errors/index.js';
import {
  DATASET_KEYS,
  MAX_FILTER_LENGTH,
  NUMERIC_ATTRIBUTES,
  ORDERABLE_ATTRIBUTES,
  STRING_ATTRIBUTES,
  parseOrderBy,
  parseSearchFilter,
  type Comparator,
  type Comparison,
  type OrderBy,
} from '../../src/tracking/search-filter.js';
import { refusal } from '../helpers/refusals.js';

const m = (key: string, comparator: Comparator, value: number): Comparison => ({ type: 'metric', key, comparator, value });
const p = (key: string, comparator: Comparator, value: string): Comparison => ({ type: 'param', key, comparator, value });
const t = (key: string, comparator: Comparator, value: string): Comparison => ({ type: 'tag', key, comparator, value });
const a = (key: string, comparator: Comparator, value: Comparison['value']): Comparison => ({ type: 'attribute', key, comparator, value });
const d = (key: string, comparator: Comparator, value: Comparison['value']): Comparison => ({ type: 'dataset', key, comparator, value });

describe('parseSearchFilter: accepted filters', () => {
  const accepted: Array<[string, Comparison[]]> = [
    // MLflow documentation examples
    ["metrics.rmse < 1 and params.model_class = 'LogisticRegression'", [m('rmse', '<', 1), p('model_class', '=', 'LogisticRegression')]],
    ["attributes.status = 'FINISHED'", [a('status', '=', 'FINISHED')]],
    [`tags."mlflow.source.type" = 'LOCAL'`, [t('mlflow.source.type', '=', 'LOCAL')]],
    ['metrics.`f1 score` >= 0.9', [m('f1 score', '>=', 0.9)]],
    ["params.lr LIKE '0.%'", [p('lr', 'LIKE', '0.%')]],
    ["attributes.run_id IN ('a', 'b')", [a('run_id', 'IN', ['a', 'b'])]],
    ['start_time > 1700000000000', [a('start_time', '>', 1700000000000)]],
    ["metrics.accuracy > 0.9 AND params.optimizer = 'adam' AND tags.team ILIKE '%ml%'", [m('accuracy', '>', 0.9), p('optimizer', '=', 'adam'), t('team', 'ILIKE', '%ml%')]],
    ["attributes.run_name = 'my-run'", [a('run_name', '=', 'my-run')]],
    ["tags.`mlflow.user` = 'alice'", [t('mlflow.user', '=', 'alice')]],
    // empty and whitespace
    ['', []],
    ['   \n\t ', []],
    // numbers
    ['metrics.x > -1.5e-3', [m('x', '>', -0.0015)]],
    ['metrics.x = 42', [m('x', '=', 42)]],
    ['metrics.x != .5', [m('x', '!=', 0.5)]],
    ['metrics.x <= 5.', [m('x', '<=', 5)]],
    ['metrics.x >= 1E+3', [m('x', '>=', 1000)]],
    ['metrics.x < +2', [m('x', '<', 2)]],
    ['metrics.x = -0', [m('x', '=', 0)]],
    ['metrics.x>1', [m('x', '>', 1)]],
    ['metrics.x<-1', [m('x', '<', -1)]],
    // quotes and escapes
    [`params.a = "double"`, [p('a', '=', 'double')]],
    ["params.a = 'it''s'", [p('a', '=', "it's")]],
    ["params.a = 'it\\'s'", [p('a', '=', "it's")]],
    [`params.a = "say \\"hi\\""`, [p('a', '=', 'say "hi"')]],
    [`params.a = "say ""hi"""`, [p('a', '=', 'say "hi"')]],
    ["params.a = 'back\\\\slash'", [p('a', '=', 'back\\slash')]],
    ["params.a = 'C:\\temp'", [p('a', '=', 'C:\\temp')]],
    ["params.a LIKE '100\\%'", [p('a', 'LIKE', '100\\%')]],
    ["params.a = ''", [p('a', '=', '')]],
    ["params.a = 'a AND b OR c'", [p('a', '=', 'a AND b OR c')]],
    ["params.a = 'ünïcödé ✓'", [p('a', '=', 'ünïcödé ✓')]],
    // keys
    [`params."lr-0" = '1'`, [p('lr-0', '=', '1')]],
    ['metrics.`a``b` > 1', [m('a`b', '>', 1)]],
    [`metrics."a""b" > 1`, [m('a"b', '>', 1)]],
    ['tags.mlflow.source.name = \'x\'', [t('mlflow.source.name', '=', 'x')]],
    ['metrics.2024_loss < 1', [m('2024_loss', '<', 1)]],
    ['metrics.AND > 1', [m('AND', '>', 1)]],
    ['metrics.größe > 1', [m('größe', '>', 1)]],
    // prefix spellings
    ['metric.a > 1 and param.b = \'x\' and tag.c = \'y\'', [m('a', '>', 1), p('b', '=', 'x'), t('c', '=', 'y')]],
    ["parameter.b = 'x' AND parameters.c = 'y'", [p('b', '=', 'x'), p('c', '=', 'y')]],
    ["attribute.status = 'RUNNING' AND attr.user_id = 'bob' AND run.artifact_uri LIKE 's3://%'", [a('status', '=', 'RUNNING'), a('user_id', '=', 'bob'), a('artifact_uri', 'LIKE', 's3://%')]],
    ['`metrics`.a > 1', [m('a', '>', 1)]],
    // attributes, aliases
    ["status = 'FAILED' And end_time <= 5", [a('status', '=', 'FAILED'), a('end_time', '<=', 5)]],
    ["lifecycle_stage = 'active'", [a('lifecycle_stage', '=', 'active')]],
    ['created >= 1.7e12', [a('start_time', '>=', 1700000000000)]],
    ['attributes.Created < 10', [a('start_time', '<', 10)]],
    ["attributes.`Run Name` = 'x'", [a('run_name', '=', 'x')]],
    [`"run name" ILIKE 'x%'`, [a('run_name', 'ILIKE', 'x%')]],
    ["attributes.run_id not in ('a')", [a('run_id', 'NOT IN', ['a'])]],
    [`run_id IN("a",'b' ,  'c')`, [a('run_id', 'IN', ['a', 'b', 'c'])]],
    ["attributes.run_id NOT\n IN ('x')", [a('run_id', 'NOT IN', ['x'])]],
    // datasets
    ["datasets.name = 'iris' AND datasets.digest IN ('abc', 'def') AND dataset.context != 'eval'", [d('name', '=', 'iris'), d('digest', 'IN', ['abc', 'def']), d('context', '!=', 'eval')]],
    ["datasets.name NOT IN ('x') and datasets.context like 'tr%'", [d('name', 'NOT IN', ['x']), d('context', 'LIKE', 'tr%')]],
    // keyword case, whitespace
    ["params.a like 'x' AND params.b iLike 'y' aNd params.c = 'z'", [p('a', 'LIKE', 'x'), p('b', 'ILIKE', 'y'), p('c', '=', 'z')]],
    ["\n metrics.a>=1\tAND\nparams.b='x' ", [m('a', '>=', 1), p('b', '=', 'x')]],
    ["params.a LIKE'x'", [p('a', 'LIKE', 'x')]],
  ];

  it.each(accepted)('%s', (filter, expected) => {
    expect(parseSearchFilter(filter)).toEqual(expected);
  });

  it('treats undefined as no filter', () => {
    expect(parseSearchFilter(undefined)).toEqual([]);
  });

  it('accepts a filter of exactly the maximum length', () => {
    const head = "params.a = '";
    const filter = `${head}${'x'.repeat(MAX_FILTER_LENGTH - head.length - 1)}'`;
    expect(filter.length).toBe(MAX_FILTER_LENGTH);
    expect(parseSearchFilter(filter)[0]?.value).toHaveLength(MAX_FILTER_LENGTH - head.length - 1);
  });
});

describe('parseSearchFilter: refused filters', () => {
  const refused: Array<[string, string]> = [
    ["metrics.rmse > 'abc'", `invalid filter at position 15: expected a number after 'metrics.rmse >', got "'abc'"`],
    ['metrics.a > 1 OR metrics.b > 2', "position 14: OR is not supported; MLflow's filter grammar joins clauses with AND only"],
    ['metrics.a > 1 or metrics.b > 2', 'OR is not supported'],
    ['metrics.a = 1 AND', 'position 17: expected a clause after AND, got end of input'],
    ['metrics.a = 1 AND  ', 'expected a clause after AND, got end of input'],
    ['metrics.a = 1 AND AND metrics.b = 2', 'position 18: expected a clause after AND, got "AND"'],
    ['AND metrics.a = 1', 'position 0: expected a clause such as metrics.rmse < 1, got "AND"'],
    ["params.a = 'abc", 'position 11: unterminated string'],
    ["params.a = 'abc\\'", 'unterminated string'],
    ['params.a = "abc', 'unterminated string'],
    ["tags.`abc = 'x'", 'position 5: unterminated quoted key'],
    ['metrics.a > 1 metrics.b > 2', 'position 14: expected AND or the end of the filter after a complete clause, got "metrics.b"'],
    ['metrics.a > 1;', 'position 13: expected AND or the end of the filter after a complete clause, got ";"'],
    ['metrics.a > 1 && metrics.b > 2', 'join clauses with AND'],
    ["params.a = 'x' extra", 'got "extra"'],
    ['metrics.a', 'position 9: expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN) after \'metrics.a\', got end of input'],
    ['metrics.a 1', 'expected a comparator'],
    ['metrics.a >', 'position 11: expected a number after \'metrics.a >\', got end of input'],
    ['params.a =', 'expected a quoted string after \'params.a =\', got end of input'],
    ['params.lr = 0.1', `position 12: expected a quoted string after 'params.lr =', got "0.1"; params compare quoted strings, e.g. '0.1'`],
    ['tags.x = 5', 'tags compare quoted strings'],
    ["attributes.status = FINISHED", 'expected a quoted string after \'attributes.status =\', got "FINISHED"'],
    ['metrics.a > 1abc', 'position 12: expected a number after \'metrics.a >\', got "1abc"'],
    ['metrics.a > 1.2.3', 'expected a number'],
    ['metrics.a > 1e', 'expected a number'],
    ['metrics.a > - 1', 'got "-"'],
    ['metrics.a > NaN', 'expected a number'],
    ['metrics.a > 0x10', 'expected a number'],
    ['metrics.a > 1e999', 'position 12: number "1e999" is out of range'],
    ['start_time > 1.5', 'expected an integer (milliseconds since the epoch) after \'start_time >\', got "1.5"'],
    ["start_time > '2024'", 'expected a number after \'start_time >\''],
    ['metrics.a == 1', "position 10: '==' is not a comparator; use '='"],
    ['metrics.a <> 1', "'<>' is not a comparator; use '!='"],
    ["metrics.a LIKE '1'", "position 10: comparator 'LIKE' cannot be used with metrics; use one of =, !=, >, >=, <, <="],
    ["params.a > 'x'", "comparator '>' cannot be used with params; use one of =, !=, LIKE, ILIKE"],
    ["tags.a IN ('x')", "comparator 'IN' cannot be used with tags"],
    ["params.a IN ('x')", 'only attributes.run_id and datasets.<name|digest|context> take IN / NOT IN lists'],
    ["attributes.status IN ('a')", "comparator 'IN' cannot be used with attribute 'status'"],
    ["start_time LIKE '1%'", "comparator 'LIKE' cannot be used with attribute 'start_time'"],
    ["params.a NOT LIKE 'x'", 'NOT LIKE is not supported'],
    ["attributes.run_id NOT ('a')", 'expected IN after NOT'],
    ["attributes.run_id IN 'a'", "expected a parenthesized list of quoted strings after 'attributes.run_id IN', got \"'a'\""],
    ['attributes.run_id IN ()', "position 21: empty list after 'attributes.run_id IN'"],
    ["attributes.run_id IN ('a',)", "position 25: trailing comma in the list after 'attributes.run_id IN'"],
    ["attributes.run_id IN ('a' 'b')", "expected ',' or ')' in the list"],
    ["attributes.run_id IN ('a', 1)", 'expected a quoted string'],
    ["attributes.run_id IN ('a'", "expected ',' or ')' in the list after 'attributes.run_id IN', got end of input"],
    ["params.lr-0 = '1'", "position 9: unexpected \"-\" after 'params.lr'; quote keys containing spaces, dashes or other special characters"],
    ["tags.a b = 'x'", 'expected a comparator'],
    ['metrics. > 1', "position 8: expected a key after 'metrics.', got whitespace"],
    ['metrics.> 1', "position 8: expected a key after 'metrics.', got \">\""],
    ["params.'lr' = 'x'", 'quote keys with backticks or double quotes, not single quotes'],
    ['metrics.`` > 1', "position 8: empty key after 'metrics.'"],
    ["metrics.\"a\"b > 1", 'unexpected "b" after \'metrics."a"\''],
    ['rmse < 1', "position 0: unknown attribute 'rmse'; valid attributes are status, run_name, run_id, user_id, artifact_uri, lifecycle_stage, start_time, end_time, created; metrics, params and tags need a prefix, e.g. metrics.rmse"],
    ["attributes.experiment_id = '1'", "unknown attribute 'experiment_id'"],
    ['metrcs.a > 1', "position 0: unknown entity type 'metrcs'; use metrics.<key>, params.<key>, tags.<key>, attributes.<key> or datasets.<key>"],
    ['Metrics.a > 1', "prefixes are case-sensitive: write 'metrics'"],
    ["datasets.foo = 'x'", "unknown dataset key 'foo'; valid keys are name, digest, context"],
    ['datasets.name = 1', 'expected a quoted string'],
    ['(metrics.a > 1)', 'parentheses are only allowed around IN lists'],
    ["'metrics.a' > 1", 'names are quoted with backticks or double quotes, values with single quotes'],
    ['metrics.a > 1 AND (metrics.b > 2 OR metrics.c > 3)', 'position 18: expected a clause after AND, got "("'],
    ['= 1', 'expected a clause'],
    ['metrics.a >= = 1', 'expected a number after \'metrics.a >=\', got "="'],
  ];

  it.each(refused)('%s', (filter, fragment) => {
    const err = refusal(() => parseSearchFilter(filter));
    expect(err.code).toBe('invalid_input');
    expect(err.status).toBe(400);
    expect(err.message).toContain(fragment);
    const at = /at position (\d+)/.exec(err.message);
    if (at) expect(err.details).toEqual({ position: Number(at[1]) });
  });

  it('refuses a filter longer than the limit without reading it', () => {
    const err = refusal(() => parseSearchFilter(`metrics.a > 1 AND ${'x'.repeat(MAX_FILTER_LENGTH)}`));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain(`the limit is ${MAX_FILTER_LENGTH}`);
  });

  it('refuses a non-string filter', () => {
    expect(refusal(() => parseSearchFilter(42 as unknown as string)).message).toContain('expected a string');
  });

  it('reports positions that point at the offending token', () => {
    const filter = "params.a = 'x' AND   metrics.b > 'oops'";
    const err = refusal(() => parseSearchFilter(filter));
    const position = err.details?.position as number;
    expect(filter.slice(position)).toBe("'oops'");
  });
});

describe('parseOrderBy', () => {
  const accepted: Array<[string[], OrderBy[]]> = [
    [['metrics.rmse DESC'], [{ type: 'metric', key: 'rmse', ascending: false }]],
    [['metrics.rmse'], [{ type: 'metric', key: 'rmse', ascending: true }]],
    [['metrics.rmse asc', 'params.lr Desc'], [{ type: 'metric', key: 'rmse', ascending: true }, { type: 'param', key: 'lr', ascending: false }]],
    [['start_time DESC'], [{ type: 'attribute', key: 'start_time', ascending: false }]],
    [['attributes.end_time', 'attr.run_name DESC', 'status', 'run_id'], [
      { type: 'attribute', key: 'end_time', ascending: true },
      { type: 'attribute', key: 'run_name', ascending: false },
      { type: 'attribute', key: 'status', ascending: true },
      { type: 'attribute', key: 'run_id', ascending: true },
    ]],
    [['created DESC'], [{ type: 'attribute', key: 'start_time', ascending: false }]],
    [['metrics.`f1 score` DESC'], [{ type: 'metric', key: 'f1 score', ascending: false }]],
    [['tags."mlflow.user"'], [{ type: 'tag', key: 'mlflow.user', ascending: true }]],
    [['  tags.team   desc  '], [{ type: 'tag', key: 'team', ascending: false }]],
    [[], []],
  ];
  it.each(accepted)('%j', (clauses, expected) => {
    expect(parseOrderBy(clauses)).toEqual(expected);
  });

  it('treats undefined as no ordering', () => {
    expect(parseOrderBy(undefined)).toEqual([]);
  });

  const refused: Array<[string[], string]> = [
    [[''], 'invalid order_by[0] at position 0: empty clause'],
    [['metrics.a', '  '], 'invalid order_by[1] at position 2: empty clause'],
    [['metrics.a DESCENDING'], "order_by[0] at position 10: expected ASC, DESC or the end of the clause after 'metrics.a', got \"DESCENDING\""],
    [['metrics.a DESC x'], "position 15: unexpected \"x\" after 'metrics.a DESC'"],
    [['metrics.a, metrics.b'], 'unexpected ","'],
    [['user_id'], "attribute 'user_id' cannot be used in order_by; orderable attributes are start_time, end_time, run_name, status, run_id, created"],
    [['foo DESC'], "unknown attribute 'foo'"],
    [['datasets.name'], 'ordering by datasets is not supported'],
    [['metrics.a > 1'], "expected ASC, DESC or the end of the clause after 'metrics.a', got \">\""],
    [['params.lr-0'], 'quote keys containing spaces'],
    [['metrics.`a DESC'], 'unterminated quoted key'],
    [['metricz.a'], "unknown entity type 'metricz'"],
    [['DESC'], 'expected an identifier such as metrics.rmse or start_time, got "DESC"'],
  ];
  it.each(refused)('refuses %j', (clauses, fragment) => {
    const err = refusal(() => parseOrderBy(clauses));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain(fragment);
  });

  it('refuses non-string clauses', () => {
    expect(refusal(() => parseOrderBy([1 as unknown as string])).message).toContain('invalid order_by[0]: expected a string');
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties: print generated ASTs with an independent serializer, parse them back.

const UNQUOTED_KEY = /^[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*$/u;
const PREFIX_SPELLINGS: Record<Comparison['type'], string[]> = {
  metric: ['metrics', 'metric', '`metrics`'],
  param: ['params', 'param', 'parameter', 'parameters'],
  tag: ['tags', 'tag'],
  attribute: ['attributes', 'attribute', 'attr', 'run', ''],
  dataset: ['datasets', 'dataset'],
};

/** Quotes `text` with `q`, escaping backslashes and the quote (doubled or backslashed). */
function quote(text: string, q: string, doubled: boolean): string {
  const body = text.replaceAll('\\', '\\\\').replaceAll(q, doubled ? q + q : `\\${q}`);
  return q + body + q;
}

interface Style {
  prefix: number;
  keyQuote: '`' | '"' | 'bare';
  valueQuote: "'" | '"';
  doubled: boolean;
  ws: [string, string, string];
  and: string;
  alias: boolean;
}

const spaces = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \r\n ');
const someSpace = fc.constantFrom(' ', '  ', '\t', '\n', ' \n\t');
const styleArb: fc.Arbitrary<Style> = fc.record({
  prefix: fc.nat(),
  keyQuote: fc.constantFrom('`' as const, '"' as const, 'bare' as const),
  valueQuote: fc.constantFrom("'" as const, '"' as const),
  doubled: fc.boolean(),
  ws: fc.tuple(someSpace, spaces, someSpace),
  and: fc.constantFrom('AND', 'and', 'And', 'aNd'),
  alias: fc.boolean(),
});

function printIdentifier(type: Comparison['type'], key: string, style: Style): string {
  const spellings = PREFIX_SPELLINGS[type];
  const prefix = spellings[style.prefix % spellings.length] ?? type;
  let printedKey: string;
  if (type === 'attribute' && style.alias && key === 'start_time') printedKey = 'created';
  else if (type === 'attribute' && style.alias && key === 'run_name') printedKey = '`Run Name`';
  else if (style.keyQuote === 'bare' && UNQUOTED_KEY.test(key)) printedKey = key;
  else printedKey = quote(key, style.keyQuote === 'bare' ? '`' : style.keyQuote, style.doubled);
  return prefix === '' ? printedKey : `${prefix}.${printedKey}`;
}

function printValue(value: Comparison['value'], style: Style): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return quote(value, style.valueQuote, style.doubled);
  return `(${value.map((v) => quote(v, style.valueQuote, style.doubled)).join(`${style.ws[1]},${style.ws[1]}`)})`;
}

function printComparison(c: Comparison, style: Style): string {
  const symbolic = /^[=!<>]/.test(c.comparator);
  const left = symbolic ? style.ws[1] : style.ws[0];
  const right = symbolic ? style.ws[1] : style.ws[2];
  const comparator = symbolic ? c.comparator : c.comparator.replace(' ', style.ws[0]);
  return `${printIdentifier(c.type, c.key, style)}${left}${comparator}${right}${printValue(c.value, style)}`;
}

function printFilter(clauses: Array<[Comparison, Style]>): string {
  return clauses.map(([c, s], i) => (i === 0 ? '' : `${s.ws[0]}${s.and}${s.ws[2]}`) + printComparison(c, s)).join('');
}

const keyArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', 'Z', '_', '.', ' ', '-', '`', '"', "'", '\\', '%', '/', 'é', '1') }),
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}(\.[a-z0-9_]{1,5}){0,2}$/),
  fc.string({ minLength: 1, maxLength: 6, unit: 'grapheme' }),
);
const textArb = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ maxLength: 12, unit: fc.constantFrom('a', ' ', "'", '"', '`', '\\', '%', '_', ')', ',', 'A', 'N', 'D', '\n') }),
  fc.string({ maxLength: 8, unit: 'binary' }),
);
const numberArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, 1e-7, 1.5e300, -1.5e-3, 5e-324),
).map((n) => (Object.is(n, -0) ? 0 : n));
const numericComparator = fc.constantFrom<Comparator>('=', '!=', '>', '>=', '<', '<=');
const stringComparator = fc.constantFrom<Comparator>('=', '!=', 'LIKE', 'ILIKE');
const listArb = fc.array(textArb, { minLength: 1, maxLength: 4 });

const comparisonArb: fc.Arbitrary<Comparison> = fc.oneof(
  fc.record({ type: fc.constant('metric' as const), key: keyArb, comparator: numericComparator, value: numberArb }),
  fc.record({ type: fc.constantFrom('param' as const, 'tag' as const), key: keyArb, comparator: stringComparator, value: textArb }),
  fc.record({ type: fc.constant('attribute' as const), key: fc.constantFrom(...STRING_ATTRIBUTES), comparator: stringComparator, value: textArb }),
  fc.record({ type: fc.constant('attribute' as const), key: fc.constant('run_id'), comparator: fc.constantFrom<Comparator>('IN', 'NOT IN'), value: listArb }),
  fc.record({ type: fc.constant('attribute' as const), key: fc.constantFrom(...NUMERIC_ATTRIBUTES), comparator: numericComparator, value: fc.maxSafeInteger() }),
  fc.record({ type: fc.constant('dataset' as const), key: fc.constantFrom(...DATASET_KEYS), comparator: stringComparator, value: textArb }),
  fc.record({ type: fc.constant('dataset' as const), key: fc.constantFrom(...DATASET_KEYS), comparator: fc.constantFrom<Comparator>('IN', 'NOT IN'), value: listArb }),
);

describe('search filter properties', () => {
  it('parses printed ASTs back to the same AST', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(comparisonArb, styleArb), { maxLength: 5 }), spaces, spaces, (clauses, lead, trail) => {
        const filter = `${lead}${printFilter(clauses)}${trail}`;
        expect(parseSearchFilter(filter)).toEqual(clauses.map(([c]) => c));
      }),
      { numRuns: 1000 },
    );
  });

  it('parses printed order_by clauses back to the same AST', () => {
    const orderArb: fc.Arbitrary<OrderBy> = fc.oneof(
      fc.record({ type: fc.constantFrom('metric' as const, 'param' as const, 'tag' as const), key: keyArb, ascending: fc.boolean() }),
      fc.record({ type: fc.constant('attribute' as const), key: fc.constantFrom(...ORDERABLE_ATTRIBUTES), ascending: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(orderArb, styleArb, fc.boolean()), { maxLength: 4 }), (items) => {
        const clauses = items.map(([o, s, explicit]) => {
          const direction = o.ascending ? (explicit ? `${s.ws[0]}${s.and.replace(/and/i, 'asc')}` : '') : `${s.ws[0]}DESC`;
          return `${s.ws[1]}${printIdentifier(o.type, o.key, s)}${direction}${s.ws[1]}`;
        });
        expect(parseOrderBy(clauses)).toEqual(items.map(([o]) => o));
      }),
      { numRuns: 500 },
    );
  });

  const soup = fc
    .array(
      fc.oneof(
        fc.constantFrom('metrics.a', 'params."x y"', 'tags.`k`', 'datasets.name', 'status', 'start_time', 'run_id', 'attributes.', 'metrics', '.', 'AND', 'and', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'DESC', '=', '!=', '>=', '<', '==', '<>', "'", '"', '`', "'ok'", '"ok"', '(', ')', ',', '1', '-1.5e-3', '1e', '1e999', '-', '\\', ' ', '\n', ';'),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 14 },
    )
    .chain((parts) => fc.constantFrom(parts.join(' '), parts.join('')));

  function outcomeIsSound(run: () => unknown): void {
    try {
      expect(Array.isArray(run())).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(BerthError);
      expect((err as BerthError).code).toBe('invalid_input');
      expect((err as BerthError).message).toMatch(/^invalid (filter|order_by\[\d+\])/);
    }
  }

  it('never crashes on arbitrary input: an AST or an invalid_input BerthError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ maxLength: 30, unit: 'binary' }), soup), (input) => {
        outcomeIsSound(() => parseSearchFilter(input));
        outcomeIsSound(() => parseOrderBy([input]));
      }),
      { numRuns: 3000 },
    );
  });

  it('never crashes on mutations of valid filters', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(comparisonArb, styleArb), { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat(), fc.string({ maxLength: 3 }), (clauses, at, cut, insert) => {
        const filter = printFilter(clauses);
        const i = at % (filter.length + 1);
        const mutated = filter.slice(0, i) + insert + filter.slice(i + (cut % 4));
        outcomeIsSound(() => parseSearchFilter(mutated));
      }),
      { numRuns: 2000 },
    );
  });
});
