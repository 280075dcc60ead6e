/**
 * Parser for MLflow's `runs/search` filter and `order_by` strings (grammar of
 * mlflow/utils/search_utils.py `SearchUtils`), written by hand so every refusal can say exactly where
 * and why. The output is a typed AST the SQL layer turns into queries; nothing here touches a store.
 *
 * Filter grammar (whitespace is free between tokens, keywords are case-insensitive):
 *
 *   filter      := ws? ( clause ( ws AND ws clause )* )? ws?
 *   clause      := identifier comparator value
 *   identifier  := prefix '.' key | attribute-name          (an unprefixed name is an attribute)
 *   prefix      := metric(s) | param(s) | parameter(s) | tag(s) | attribute(s) | attr | run | dataset(s)
 *                  (case-sensitive as in MLflow; may itself be quoted with backticks)
 *   key         := word ( '.' word )* | `quoted` | "quoted"  (word = letters, digits, underscore)
 *   comparator  := = | != | > | >= | < | <= | LIKE | ILIKE | IN | NOT IN
 *   value       := number | 'string' | "string" | '(' string ( ',' string )* ')'
 *
 * Quoted strings and keys end at the matching quote; inside them a doubled quote stands for one
 * quote, and a backslash escapes a backslash or any quote character (\\ \' \" \`). A backslash before
 * anything else is kept as written, so LIKE patterns such as 'a\%' and Windows paths pass through.
 *
 * Aliases are resolved here so the SQL layer sees one spelling per column: `created` / `Created` →
 * `start_time`, `run name` / `Run name` / `Run Name` → `run_name` (MLflow's translate_key_alias).
 */
import { BerthError, describeValue } from '../errors/index.js';

export type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Comparison {
  type: EntityType;
  key: string;
  comparator: Comparator;
  value: number | string | string[];
}

export interface OrderBy {
  type: EntityType;
  key: string;
  ascending: boolean;
}

/** Longest filter (and longest single order_by clause) accepted, in UTF-16 code units. */
export const MAX_FILTER_LENGTH = 100_000;

/** Run attributes compared as strings. */
export const STRING_ATTRIBUTES = ['status', 'run_name', 'run_id', 'user_id', 'artifact_uri', 'lifecycle_stage'] as const;
/** Run attributes compared as integers (epoch milliseconds). */
export const NUMERIC_ATTRIBUTES = ['start_time', 'end_time'] as const;
/** Run attributes `order_by` accepts (after alias resolution). */
export const ORDERABLE_ATTRIBUTES = ['start_time', 'end_time', 'run_name', 'status', 'run_id'] as const;
/** Keys of `datasets.<key>`. */
export const DATASET_KEYS = ['name', 'digest', 'context'] as const;

const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const LIST_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

const PREFIXES: ReadonlyMap<string, EntityType> = new Map<string, EntityType>([
  ['metric', 'metric'],
  ['metrics', 'metric'],
  ['param', 'param'],
  ['params', 'param'],
  ['parameter', 'param'],
  ['parameters', 'param'],
  ['tag', 'tag'],
  ['tags', 'tag'],
  ['attribute', 'attribute'],
  ['attributes', 'attribute'],
  ['attr', 'attribute'],
  ['run', 'attribute'],
  ['dataset', 'dataset'],
  ['datasets', 'dataset'],
]);

const ATTRIBUTE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['created', 'start_time'],
  ['Created', 'start_time'],
  ['run name', 'run_name'],
  ['Run name', 'run_name'],
  ['Run Name', 'run_name'],
]);

const FILTER_ATTRIBUTES: ReadonlySet<string> = new Set<string>([...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES]);
const NUMERIC_ATTRIBUTE_SET: ReadonlySet<string> = new Set<string>(NUMERIC_ATTRIBUTES);
const ORDERABLE_ATTRIBUTE_SET: ReadonlySet<string> = new Set<string>(ORDERABLE_ATTRIBUTES);
const DATASET_KEY_SET: ReadonlySet<string> = new Set<string>(DATASET_KEYS);
const KEYWORDS: ReadonlySet<string> = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'ASC', 'DESC']);

const WORD = /[\p{L}\p{N}_]+/uy;
const UNQUOTED_KEY = /[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*/uy;
const NUMBER = /[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NUMBER_TAIL = /[\p{L}\p{N}_.]/u;
const LEXEME = /[+-]?(?:[\p{L}\p{N}_.]|(?<=[eE])[+-])+|[<>=!]+/uy;
const WS = /\s/u;

interface Identifier {
  type: EntityType;
  key: string;
  /** The identifier as written, for messages. */
  raw: string;
}

/** What a value must look like for an identifier, and which comparators it takes. */
interface ValueRule {
  kind: 'number' | 'integer' | 'string';
  comparators: readonly Comparator[];
  /** How messages name the left side's family, e.g. "metrics" or "attribute 'status'". */
  what: string;
}

function quoteForMessage(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return `'${short}'`;
}

class Cursor {
  pos = 0;

  constructor(
    readonly src: string,
    readonly label: string,
  ) {}

  fail(position: number, detail: string): never {
    throw new BerthError('invalid_input', `invalid ${this.label} at position ${position}: ${detail}`, { position });
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  peek(offset = 0): string {
    return this.src.charAt(this.pos + offset);
  }

  skipWs(): void {
    while (this.pos < this.src.length && WS.test(this.src.charAt(this.pos))) this.pos++;
  }

  /** Reads a run of letters/digits/underscores at the cursor ('' when there is none). */
  readWord(): string {
    WORD.lastIndex = this.pos;
    const m = WORD.exec(this.src);
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }

  peekWord(): string {
    WORD.lastIndex = this.pos;
    return WORD.exec(this.src)?.[0] ?? '';
  }

  /** The token at `position` as a person would see it, for "got ..." in messages. */
  got(position: number = this.pos): string {
    if (position >= this.src.length) return 'end of input';
    const ch = this.src.charAt(position);
    if (WS.test(ch)) return 'whitespace';
    let lexeme: string;
    if (ch === "'" || ch === '"' || ch === '`') {
      lexeme = this.rawQuoted(position);
    } else {
      LEXEME.lastIndex = position;
      const m = LEXEME.exec(this.src);
      lexeme = m ? m[0] : String.fromCodePoint(this.src.codePointAt(position) ?? 0);
    }
    return describeValue(lexeme);
  }

  /** The raw text of a quoted token starting at `start` (to its closing quote, or to the end). */
  private rawQuoted(start: number): string {
    const q = this.src.charAt(start);
    let i = start + 1;
    while (i < this.src.length) {
      const c = this.src.charAt(i);
      if (c === '\\' && i + 1 < this.src.length) i += 2;
      else if (c === q && this.src.charAt(i + 1) === q) i += 2;
      else if (c === q) return this.src.slice(start, i + 1);
      else i++;
    }
    return this.src.slice(start);
  }

  /**
   * Reads a quoted string or key whose opening quote is at the cursor and returns its unescaped
   * content. `what` names it in the "unterminated" message.
   */
  readQuoted(what: string): string {
    const start = this.pos;
    const q = this.src.charAt(start);
    const parts: string[] = [];
    let i = start + 1;
    let runStart = i;
    for (;;) {
      if (i >= this.src.length) this.fail(start, `unterminated ${what}: the ${q} opened here is never closed`);
      const c = this.src.charAt(i);
      if (c === '\\') {
        const next = this.src.charAt(i + 1);
        if (next === '') this.fail(start, `unterminated ${what}: the ${q} opened here is never closed (the final backslash escapes nothing)`);
        if (next === '\\' || next === "'" || next === '"' || next === '`') {
          parts.push(this.src.slice(runStart, i), next);
          i += 2;
          runStart = i;
        } else {
          i++; // a lone backslash is kept as written
        }
      } else if (c === q) {
        parts.push(this.src.slice(runStart, i));
        if (this.src.charAt(i + 1) === q) {
          parts.push(q);
          i += 2;
          runStart = i;
        } else {
          this.pos = i + 1;
          return parts.join('');
        }
      } else {
        i++;
      }
    }
  }
}

type Context = 'filter' | 'order_by';

function prefixList(): string {
  return 'metrics.<key>, params.<key>, tags.<key>, attributes.<key> or datasets.<key>';
}

function attributeList(context: Context): string {
  const names = context === 'filter' ? [...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES, 'created'] : [...ORDERABLE_ATTRIBUTES, 'created'];
  return names.join(', ');
}

/**
 * Reads `prefix.key` or an unprefixed attribute name at the cursor. `afterAnd` only sharpens the
 * message when a clause is missing.
 */
function readIdentifier(cur: Cursor, context: Context, afterAnd: boolean): Identifier {
  const start = cur.pos;
  const first = cur.peek();
  let head: string;
  let headQuoted = false;
  if (first === '`' || first === '"') {
    head = cur.readQuoted('quoted name');
    headQuoted = true;
  } else {
    head = cur.readWord();
    if (head === '') {
      const hint = first === '(' ? ' (parentheses are only allowed around IN lists)' : first === "'" ? ' (names are quoted with backticks or double quotes, values with single quotes)' : '';
      const expected = afterAnd ? 'a clause after AND' : context === 'filter' ? `a clause such as metrics.rmse < 1, starting with ${prefixList()}` : `an identifier such as metrics.rmse or start_time`;
      cur.fail(start, `expected ${expected}, got ${cur.got(start)}${hint}`);
    }
  }

  let type: EntityType;
  let key: string;
  let keyQuoted = headQuoted;
  if (cur.peek() === '.') {
    const prefix = head;
    const resolved = PREFIXES.get(prefix);
    if (resolved === undefined) {
      const lower = PREFIXES.has(prefix.toLowerCase()) ? ` (prefixes are case-sensitive: write '${prefix.toLowerCase()}')` : '';
      cur.fail(start, `unknown entity type ${quoteForMessage(prefix)}${lower}; use ${prefixList()}`);
    }
    type = resolved;
    cur.pos++; // the dot
    const keyStart = cur.pos;
    const q = cur.peek();
    if (q === '`' || q === '"') {
      key = cur.readQuoted('quoted key');
      keyQuoted = true;
      if (key === '') cur.fail(keyStart, `empty key after '${prefix}.'`);
    } else {
      UNQUOTED_KEY.lastIndex = keyStart;
      const m = UNQUOTED_KEY.exec(cur.src);
      if (!m) {
        const hint = q === "'" ? ' (quote keys with backticks or double quotes, not single quotes)' : '';
        cur.fail(keyStart, `expected a key after '${prefix}.', got ${cur.got(keyStart)}${hint}`);
      }
      key = m[0];
      cur.pos = keyStart + key.length;
      keyQuoted = false;
    }
  } else {
    if (!headQuoted && KEYWORDS.has(head.toUpperCase())) {
      const expected = afterAnd ? 'a clause after AND' : context === 'filter' ? 'a clause such as metrics.rmse < 1' : 'an identifier such as metrics.rmse or start_time';
      cur.fail(start, `expected ${expected}, got ${describeValue(head)}`);
    }
    type = 'attribute';
    key = head;
  }
  const raw = cur.src.slice(start, cur.pos);

  // What may follow an identifier: whitespace, the end, or (in a filter) a symbolic comparator.
  const next = cur.peek();
  if (next !== '' && !WS.test(next) && !(context === 'filter' && '=!<>'.includes(next))) {
    const hint = keyQuoted
      ? ''
      : '; quote keys containing spaces, dashes or other special characters with backticks or double quotes, e.g. params.`lr-0`';
    cur.fail(cur.pos, `unexpected ${describeValue(String.fromCodePoint(cur.src.codePointAt(cur.pos) ?? 0))} after ${quoteForMessage(raw)}${hint}`);
  }

  if (type === 'attribute') {
    const canonical = ATTRIBUTE_ALIASES.get(key) ?? key;
    const valid = context === 'filter' ? FILTER_ATTRIBUTES : ORDERABLE_ATTRIBUTE_SET;
    if (!valid.has(canonical)) {
      if (context === 'order_by' && FILTER_ATTRIBUTES.has(canonical)) {
        cur.fail(start, `attribute ${quoteForMessage(key)} cannot be used in order_by; orderable attributes are ${attributeList(context)}`);
      }
      const unprefixed = raw === head && !headQuoted;
      const hint = unprefixed ? `; metrics, params and tags need a prefix, e.g. metrics.${key}` : '';
      cur.fail(start, `unknown attribute ${quoteForMessage(key)}; valid attributes are ${attributeList(context)}${hint}`);
    }
    key = canonical;
  } else if (type === 'dataset') {
    if (context === 'order_by') cur.fail(start, `ordering by datasets is not supported; order by metrics, params, tags or attributes`);
    if (!DATASET_KEY_SET.has(key)) cur.fail(start, `unknown dataset key ${quoteForMessage(key)}; valid keys are ${DATASET_KEYS.join(', ')}`);
  }
  return { type, key, raw };
}

function valueRule(id: Identifier): ValueRule {
  switch (id.type) {
    case 'metric':
      return { kind: 'number', comparators: NUMERIC_COMPARATORS, what: 'metrics' };
    case 'param':
      return { kind: 'string', comparators: STRING_COMPARATORS, what: 'params' };
    case 'tag':
      return { kind: 'string', comparators: STRING_COMPARATORS, what: 'tags' };
    case 'dataset':
      return { kind: 'string', comparators: LIST_COMPARATORS, what: `datasets.${id.key}` };
    case 'attribute':
      if (NUMERIC_ATTRIBUTE_SET.has(id.key)) return { kind: 'integer', comparators: NUMERIC_COMPARATORS, what: `attribute '${id.key}'` };
      return { kind: 'string', comparators: id.key === 'run_id' ? LIST_COMPARATORS : STRING_COMPARATORS, what: `attribute '${id.key}'` };
  }
}

function readComparator(cur: Cursor, id: Identifier): Comparator {
  const start = cur.pos;
  const two = cur.src.slice(start, start + 2);
  if (two === '==') cur.fail(start, `'==' is not a comparator; use '='`);
  if (two === '<>') cur.fail(start, `'<>' is not a comparator; use '!='`);
  if (two === '>=' || two === '<=' || two === '!=') {
    cur.pos += 2;
    return two;
  }
  const one = cur.peek();
  if (one === '=' || one === '>' || one === '<') {
    cur.pos += 1;
    return one;
  }
  const word = cur.peekWord().toUpperCase();
  if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') {
    cur.pos += word.length;
    return word;
  }
  if (word === 'NOT') {
    cur.pos += 3;
    cur.skipWs();
    const second = cur.peekWord().toUpperCase();
    if (second === 'IN') {
      cur.pos += 2;
      return 'NOT IN';
    }
    if (second === 'LIKE' || second === 'ILIKE') cur.fail(start, `NOT ${second} is not supported; MLflow's filter grammar has no negated pattern match`);
    cur.fail(cur.pos, `expected IN after NOT, got ${cur.got()}`);
  }
  cur.fail(start, `expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN) after ${quoteForMessage(id.raw)}, got ${cur.got(start)}`);
}

function readNumber(cur: Cursor, after: string, integer: boolean): number {
  const start = cur.pos;
  NUMBER.lastIndex = start;
  const m = NUMBER.exec(cur.src);
  const tail = m ? cur.src.charAt(start + m[0].length) : '';
  if (!m || (tail !== '' && NUMBER_TAIL.test(tail))) {
    cur.fail(start, `expected a number after ${quoteForMessage(after)}, got ${cur.got(start)}`);
  }
  const value = Number(m[0]);
  if (!Number.isFinite(value)) cur.fail(start, `number ${describeValue(m[0])} is out of range`);
  if (integer && !Number.isSafeInteger(value)) {
    cur.fail(start, `expected an integer (milliseconds since the epoch) after ${quoteForMessage(after)}, got ${describeValue(m[0])}`);
  }
  cur.pos = start + m[0].length;
  return value === 0 ? 0 : value; // folds -0 into 0
}

function readString(cur: Cursor, after: string, rule: ValueRule): string {
  const q = cur.peek();
  if (q === "'" || q === '"') return cur.readQuoted('string');
  const start = cur.pos;
  NUMBER.lastIndex = start;
  const numeric = NUMBER.exec(cur.src);
  const hint = numeric ? `; ${rule.what} compare quoted strings, e.g. '${numeric[0]}'` : '';
  cur.fail(start, `expected a quoted string after ${quoteForMessage(after)}, got ${cur.got(start)}${hint}`);
}

function readList(cur: Cursor, after: string, rule: ValueRule): string[] {
  const open = cur.pos;
  if (cur.peek() !== '(') cur.fail(open, `expected a parenthesized list of quoted strings after ${quoteForMessage(after)}, got ${cur.got(open)}`);
  cur.pos++;
  cur.skipWs();
  if (cur.peek() === ')') cur.fail(open, `empty list after ${quoteForMessage(after)}; give at least one quoted string`);
  const items: string[] = [];
  for (;;) {
    items.push(readString(cur, items.length === 0 ? `${after} (` : `${after} (...,`, rule));
    cur.skipWs();
    const c = cur.peek();
    if (c === ',') {
      const comma = cur.pos;
      cur.pos++;
      cur.skipWs();
      if (cur.peek() === ')') cur.fail(comma, `trailing comma in the list after ${quoteForMessage(after)}`);
      continue;
    }
    if (c === ')') {
      cur.pos++;
      return items;
    }
    cur.fail(cur.pos, `expected ',' or ')' in the list after ${quoteForMessage(after)}, got ${cur.got()}`);
  }
}

function readClause(cur: Cursor, afterAnd: boolean): Comparison {
  const id = readIdentifier(cur, 'filter', afterAnd);
  cur.skipWs();
  const compStart = cur.pos;
  const comparator = readComparator(cur, id);
  const rule = valueRule(id);
  if (!rule.comparators.includes(comparator)) {
    const listHint =
      (comparator === 'IN' || comparator === 'NOT IN') && id.type !== 'metric'
        ? ' (only attributes.run_id and datasets.<name|digest|context> take IN / NOT IN lists)'
        : '';
    cur.fail(compStart, `comparator '${comparator}' cannot be used with ${rule.what}; use one of ${rule.comparators.join(', ')}${listHint}`);
  }
  const after = `${id.raw} ${comparator}`;
  cur.skipWs();
  let value: Comparison['value'];
  if (comparator === 'IN' || comparator === 'NOT IN') value = readList(cur, after, rule);
  else if (rule.kind === 'string') value = readString(cur, after, rule);
  else value = readNumber(cur, after, rule.kind === 'integer');
  return { type: id.type, key: id.key, comparator, value };
}

/**
 * Parses a `runs/search` filter into its AND-joined comparisons. `undefined`, '' and whitespace give
 * []. Every refusal is a BerthError 'invalid_input' whose message names the position (0-based, like
 * JSON.parse) and the offending token; `details.position` carries the same number.
 */
export function parseSearchFilter(filter: string | undefined): Comparison[] {
  if (filter === undefined) return [];
  if (typeof filter !== 'string') throw new BerthError('invalid_input', `invalid filter: expected a string, got ${describeValue(filter)}`);
  if (filter.length > MAX_FILTER_LENGTH) {
    throw new BerthError('invalid_input', `invalid filter: it is ${filter.length} characters long; the limit is ${MAX_FILTER_LENGTH}`, {
      length: filter.length,
      limit: MAX_FILTER_LENGTH,
    });
  }
  const cur = new Cursor(filter, 'filter');
  cur.skipWs();
  const clauses: Comparison[] = [];
  if (cur.atEnd()) return clauses;
  let afterAnd = false;
  for (;;) {
    clauses.push(readClause(cur, afterAnd));
    cur.skipWs();
    if (cur.atEnd()) return clauses;
    const at = cur.pos;
    const word = cur.peekWord().toUpperCase();
    if (word === 'AND') {
      cur.pos += 3;
      cur.skipWs();
      if (cur.atEnd()) cur.fail(cur.pos, `expected a clause after AND, got end of input`);
      afterAnd = true;
      continue;
    }
    if (word === 'OR') cur.fail(at, `OR is not supported; MLflow's filter grammar joins clauses with AND only`);
    const hint = cur.peek() === '|' || cur.peek() === '&' ? ' (join clauses with AND)' : '';
    cur.fail(at, `expected AND or the end of the filter after a complete clause, got ${cur.got(at)}${hint}`);
  }
}

/**
 * Parses `order_by` clauses, each `<identifier> [ASC|DESC]` (default ascending). Datasets cannot be
 * ordered by; attributes are limited to ORDERABLE_ATTRIBUTES (plus the `created` alias).
 */
export function parseOrderBy(clauses: string[] | undefined): OrderBy[] {
  if (clauses === undefined) return [];
  if (!Array.isArray(clauses)) throw new BerthError('invalid_input', `invalid order_by: expected a list of strings, got ${describeValue(clauses)}`);
  return clauses.map((clause, index) => {
    const label = `order_by[${index}]`;
    if (typeof clause !== 'string') throw new BerthError('invalid_input', `invalid ${label}: expected a string, got ${describeValue(clause)}`);
    if (clause.length > MAX_FILTER_LENGTH) {
      throw new BerthError('invalid_input', `invalid ${label}: it is ${clause.length} characters long; the limit is ${MAX_FILTER_LENGTH}`);
    }
    const cur = new Cursor(clause, label);
    cur.skipWs();
    if (cur.atEnd()) cur.fail(cur.pos, `empty clause; expected an identifier such as metrics.rmse, optionally followed by ASC or DESC`);
    const id = readIdentifier(cur, 'order_by', false);
    cur.skipWs();
    let ascending = true;
    if (!cur.atEnd()) {
      const at = cur.pos;
      const word = cur.readWord().toUpperCase();
      if (word === 'ASC') ascending = true;
      else if (word === 'DESC') ascending = false;
      else cur.fail(at, `expected ASC, DESC or the end of the clause after ${quoteForMessage(id.raw)}, got ${cur.got(at)}`);
      cur.skipWs();
      if (!cur.atEnd()) cur.fail(cur.pos, `unexpected ${cur.got()} after ${quoteForMessage(cur.src.slice(0, at).trim() + ' ' + word)}; each order_by clause is one identifier and an optional ASC or DESC`);
    }
    return { type: id.type, key: id.key, ascending };
  });
}
