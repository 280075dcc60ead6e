/**
 * The `${{ }}` expression language of pipeline files. A hand-written tokenizer and recursive-descent
 * parser over a tiny grammar; evaluation walks the tree and never executes code (no eval, no Function).
 *
 *   or      := and ('||' and)*
 *   and     := equal ('&&' equal)*
 *   equal   := compare (('==' | '!=') compare)*
 *   compare := unary (('<' | '<=' | '>' | '>=') unary)*
 *   unary   := '!' unary | primary
 *   primary := literal | path | '(' or ')'
 *   path    := ident ('.' ident | '[' (string | integer) ']')*
 */
import { BerthError, describeValue } from '../errors/index.js';

export type LiteralValue = string | number | boolean | null;
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOp = '&&' | '||';

export type Expr =
  | { kind: 'literal'; value: LiteralValue }
  | { kind: 'path'; segments: Array<string | number> }
  | { kind: 'not'; operand: Expr }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr }
  | { kind: 'logical'; op: LogicalOp; left: Expr; right: Expr };

export interface ExpressionContext {
  params: Record<string, unknown>;
  steps: Record<string, { state: string; outputs: Record<string, unknown> }>;
  env: Record<string, string>;
  run: { id: string; attempt: number };
}

/** A malformed expression: where it went wrong (0-based offset into the expression) and the text. */
export class ExpressionSyntaxError extends BerthError {
  readonly position: number;
  readonly expression: string;

  constructor(reason: string, expression: string, position: number) {
    const shown = expression.length > 120 ? `${expression.slice(0, 117)}...` : expression;
    super('invalid_input', `invalid expression ${JSON.stringify(shown)}: ${reason} at position ${position}`, { expression, position });
    this.name = 'ExpressionSyntaxError';
    this.position = position;
    this.expression = expression;
  }
}

/** An expression that parsed but cannot be evaluated against these values (e.g. `null > 3`). */
export class ExpressionEvaluationError extends BerthError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_input', message, details);
    this.name = 'ExpressionEvaluationError';
  }
}

// Limits keep hostile or accidental input from costing more than a pipeline file could reasonably need,
// and keep parser recursion far away from the JS stack limit.
const MAX_EXPRESSION_LENGTH = 10_000;
const MAX_DEPTH = 64;

// ---------------------------------------------------------------------------------------------------
// Tokenizer

type TokenType = 'number' | 'string' | 'ident' | 'punct' | 'end';
interface Token {
  type: TokenType;
  /** For punctuation the operator itself, for identifiers the name, for strings the decoded value. */
  text: string;
  value?: number | string;
  pos: number;
}

const PUNCTUATION = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.'] as const;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '/': '/', b: '\b', f: '\f', '0': '\0' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (reason: string, at: number): never => {
    throw new ExpressionSyntaxError(reason, text, at);
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) fail(`unterminated string (no closing ${ch})`, start);
        const c = text[i]!;
        if (c === ch) {
          i++;
          break;
        }
        if (c === '\\') {
          const e = text[i + 1];
          if (e === undefined) fail('unterminated string (ends with a backslash)', i);
          if (e === 'u') {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('\\u must be followed by four hex digits', i);
            value += String.fromCharCode(parseInt(hex, 16));
            i += 6;
            continue;
          }
          const decoded = ESCAPES[e!];
          if (decoded === undefined) fail(`unknown escape \\${e}`, i);
          value += decoded;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      tokens.push({ type: 'string', text: text.slice(start, i), value, pos: start });
      continue;
    }
    if ((ch >= '0' && ch <= '9') || (ch === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text)!;
      const end = i + match[0].length;
      if (/[A-Za-z0-9_.]/.test(text[end] ?? '')) fail(`malformed number '${match[0]}${text[end]}'`, i);
      const value = Number(match[0]);
      if (!Number.isFinite(value)) fail(`number ${match[0]} is out of range`, i);
      tokens.push({ type: 'number', text: match[0], value, pos: i });
      i = end;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      IDENT.lastIndex = i;
      const name = IDENT.exec(text)![0];
      tokens.push({ type: 'ident', text: name, pos: i });
      i += name.length;
      continue;
    }
    const op = PUNCTUATION.find((p) => text.startsWith(p, i));
    if (op) {
      if ((op === '==' || op === '!=') && text[i + 2] === '=') fail(`'${op}=' is not an operator; use ${op}`, i);
      tokens.push({ type: 'punct', text: op, pos: i });
      i += op.length;
      continue;
    }
    if (ch === '=') fail("'=' is not an operator; use == to compare", i);
    if (ch === '&' || ch === '|') fail(`'${ch}' is not an operator; use ${ch}${ch}`, i);
    if (ch === '-' || ch === '+' || ch === '*' || ch === '/' || ch === '%') fail(`'${ch}': expressions have no arithmetic`, i);
    if (ch === '$' && text.startsWith('${{', i)) fail("'${{' inside an expression; write the expression bare", i);
    fail(`unexpected character ${JSON.stringify(ch)}`, i);
  }
  tokens.push({ type: 'end', text: '', pos: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------------
// Parser

const KEYWORDS: Record<string, LiteralValue> = { true: true, false: false, null: null };

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Expr {
    const expr = this.or();
    const token = this.peek();
    if (token.type !== 'end') this.fail(`unexpected ${this.describe(token)}; expected an operator or the end`, token);
    return expr;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private take(): Token {
    return this.tokens[this.index++]!;
  }

  private isPunct(...ops: string[]): string | undefined {
    const token = this.peek();
    return token.type === 'punct' && ops.includes(token.text) ? token.text : undefined;
  }

  private describe(token: Token): string {
    return token.type === 'end' ? 'end of expression' : `'${token.text}'`;
  }

  private fail(reason: string, token: Token): never {
    throw new ExpressionSyntaxError(reason, this.text, token.pos);
  }

  private nest<T>(token: Token, inner: () => T): T {
    if (++this.depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`, token);
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }

  private or(): Expr {
    let left = this.and();
    while (this.isPunct('||')) {
      this.take();
      left = { kind: 'logical', op: '||', left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.equal();
    while (this.isPunct('&&')) {
      this.take();
      left = { kind: 'logical', op: '&&', left, right: this.equal() };
    }
    return left;
  }

  private equal(): Expr {
    let left = this.compare();
    for (let op = this.isPunct('==', '!='); op; op = this.isPunct('==', '!=')) {
      this.take();
      left = { kind: 'compare', op: op as CompareOp, left, right: this.compare() };
    }
    return left;
  }

  private compare(): Expr {
    let left = this.unary();
    for (let op = this.isPunct('<', '<=', '>', '>='); op; op = this.isPunct('<', '<=', '>', '>=')) {
      this.take();
      left = { kind: 'compare', op: op as CompareOp, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    const token = this.peek();
    if (this.isPunct('!')) {
      this.take();
      return this.nest(token, () => ({ kind: 'not', operand: this.unary() }));
    }
    return this.primary();
  }

  private primary(): Expr {
    const token = this.take();
    switch (token.type) {
      case 'number':
        return { kind: 'literal', value: token.value as number };
      case 'string':
        return { kind: 'literal', value: token.value as string };
      case 'ident':
        if (Object.hasOwn(KEYWORDS, token.text)) return { kind: 'literal', value: KEYWORDS[token.text]! };
        return this.path(token.text);
      case 'punct':
        if (token.text === '(') {
          const inner = this.nest(token, () => this.or());
          const close = this.take();
          if (close.type !== 'punct' || close.text !== ')') this.fail(`expected ')' to close the '(' at position ${token.pos}, got ${this.describe(close)}`, close);
          return inner;
        }
        return this.fail(`unexpected '${token.text}'; expected a value`, token);
      case 'end':
        return this.fail('unexpected end of expression; expected a value', token);
    }
  }

  private path(root: string): Expr {
    const segments: Array<string | number> = [root];
    for (;;) {
      if (this.isPunct('.')) {
        this.take();
        const name = this.take();
        // After a dot any identifier is a key, keywords included: `outputs.null` is a field named null.
        if (name.type !== 'ident') this.fail(`expected a field name after '.', got ${this.describe(name)}`, name);
        segments.push(name.text);
      } else if (this.isPunct('[')) {
        this.take();
        const key = this.take();
        if (key.type === 'string') segments.push(key.value as string);
        else if (key.type === 'number' && Number.isSafeInteger(key.value) && (key.value as number) >= 0 && /^\d+$/.test(key.text)) segments.push(key.value as number);
        else this.fail(`expected a quoted key or a non-negative integer index inside [ ], got ${this.describe(key)}`, key);
        const close = this.take();
        if (close.type !== 'punct' || close.text !== ']') this.fail(`expected ']', got ${this.describe(close)}`, close);
      } else {
        return { kind: 'path', segments };
      }
    }
  }
}

/** Parses one expression (without `${{ }}`). Throws ExpressionSyntaxError, and nothing else, on bad input. */
export function parseExpression(text: string): Expr {
  if (typeof text !== 'string') throw new ExpressionSyntaxError('expected text', String(text), 0);
  if (text.length > MAX_EXPRESSION_LENGTH) throw new ExpressionSyntaxError(`longer than ${MAX_EXPRESSION_LENGTH} characters`, text, MAX_EXPRESSION_LENGTH);
  if (text.trim() === '') throw new ExpressionSyntaxError('empty expression', text, 0);
  return new Parser(text, tokenize(text)).parse();
}

/** A condition as written in `if:`: a bare expression, or one wrapped in a single `${{ }}`. */
export function parseCondition(text: string): Expr {
  const single = singleExpression(text);
  return parseExpression(single ?? text);
}

// ---------------------------------------------------------------------------------------------------
// Inspection

/** Every path the expression reads, segments as strings (`a[0]` → `['a', '0']`), in source order. */
export function referencedPaths(expr: Expr): string[][] {
  const out: string[][] = [];
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'literal':
        return;
      case 'path':
        out.push(e.segments.map(String));
        return;
      case 'not':
        walk(e.operand);
        return;
      case 'compare':
      case 'logical':
        walk(e.left);
        walk(e.right);
        return;
    }
  };
  walk(expr);
  return out;
}

const PRECEDENCE: Record<CompareOp | LogicalOp, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4 };

function formatLiteral(value: LiteralValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** Source text for an expression (minimal parentheses); parsing it gives back the same tree. */
export function formatExpression(expr: Expr): string {
  const go = (e: Expr, parent: number, rightSide: boolean): string => {
    switch (e.kind) {
      case 'literal':
        return formatLiteral(e.value);
      case 'path':
        return e.segments
          .map((s, i) => (i === 0 ? String(s) : typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
          .join('');
      case 'not':
        return `!${go(e.operand, 5, false)}`;
      case 'compare':
      case 'logical': {
        const own = PRECEDENCE[e.op];
        const text = `${go(e.left, own, false)} ${e.op} ${go(e.right, own, true)}`;
        // Left-associative: a right operand of equal precedence needs parentheses to keep its grouping.
        return own < parent || (own === parent && rightSide) ? `(${text})` : text;
      }
    }
  };
  return go(expr, 0, false);
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

/** Falsy: null, missing, false, 0, NaN and the empty string. Everything else (even `{}` and `[]`) is truthy. */
export function isTruthy(value: unknown): boolean {
  return !(value === null || value === undefined || value === false || value === 0 || value === '' || (typeof value === 'number' && Number.isNaN(value)));
}

function lookup(ctx: ExpressionContext, segments: ReadonlyArray<string | number>): unknown {
  let current: unknown = ctx;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return null;
    if (Array.isArray(current)) {
      const index = typeof segment === 'number' ? segment : /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : -1;
      if (index < 0 || index >= current.length) return null;
      current = current[index];
    } else {
      const key = String(segment);
      // Own properties only: `x.constructor` or `x.__proto__` must not reach into JavaScript internals.
      if (!Object.hasOwn(current, key)) return null;
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current === undefined ? null : current;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((key) => Object.hasOwn(b, key) && sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function compare(op: CompareOp, left: unknown, right: unknown, expr: Extract<Expr, { kind: 'compare' }>): boolean {
  if (op === '==') return sameValue(left, right);
  if (op === '!=') return !sameValue(left, right);
  const bothNumbers = typeof left === 'number' && typeof right === 'number';
  const bothStrings = typeof left === 'string' && typeof right === 'string';
  if (!bothNumbers && !bothStrings) {
    throw new ExpressionEvaluationError(
      `cannot evaluate ${formatExpression(expr)}: ${op} compares two numbers or two strings, got ${kindOf(left)} ${describeValue(left ?? null)} and ${kindOf(right)} ${describeValue(right ?? null)}`,
      { expression: formatExpression(expr), left: left ?? null, right: right ?? null },
    );
  }
  const l = left as number | string;
  const r = right as number | string;
  switch (op) {
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
  }
}

/** The value of an expression. Missing paths are null; only `<`-style comparisons of mixed types throw. */
export function evaluate(expr: Expr, ctx: ExpressionContext): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path':
      return lookup(ctx, expr.segments);
    case 'not':
      return !isTruthy(evaluate(expr.operand, ctx));
    case 'logical': {
      const left = isTruthy(evaluate(expr.left, ctx));
      if (expr.op === '&&') return left ? isTruthy(evaluate(expr.right, ctx)) : false;
      return left ? true : isTruthy(evaluate(expr.right, ctx));
    }
    case 'compare':
      return compare(expr.op, evaluate(expr.left, ctx), evaluate(expr.right, ctx), expr);
  }
}

/** Parses and evaluates an `if:` condition (bare or wrapped in `${{ }}`) to a boolean by truthiness. */
export function evaluateCondition(text: string, ctx: ExpressionContext): boolean {
  return isTruthy(evaluate(parseCondition(text), ctx));
}

// ---------------------------------------------------------------------------------------------------
// Templates

type TemplatePart = { kind: 'text'; text: string } | { kind: 'expr'; source: string; offset: number };

/**
 * Splits a template into text and `${{ }}` parts. The closing `}}` is looked for outside quoted strings,
 * so `${{ params.x == '}}' }}` works.
 */
function scanTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let from = 0;
  for (;;) {
    const open = template.indexOf('${{', from);
    if (open < 0) break;
    if (open > from) parts.push({ kind: 'text', text: template.slice(from, open) });
    let i = open + 3;
    let close = -1;
    while (i < template.length) {
      const ch = template[i]!;
      if (ch === '"' || ch === "'") {
        i++;
        while (i < template.length && template[i] !== ch) i += template[i] === '\\' ? 2 : 1;
        i++;
        continue;
      }
      if (ch === '}' && template[i + 1] === '}') {
        close = i;
        break;
      }
      i++;
    }
    if (close < 0) throw new ExpressionSyntaxError("'${{' without a closing '}}'", template, open);
    parts.push({ kind: 'expr', source: template.slice(open + 3, close), offset: open + 3 });
    from = close + 2;
  }
  if (from < template.length) parts.push({ kind: 'text', text: template.slice(from) });
  return parts;
}

/** The source of the only `${{ }}` in `text` when nothing but whitespace surrounds it, else undefined. */
function singleExpression(text: string): string | undefined {
  if (!text.includes('${{')) return undefined;
  const parts = scanTemplate(text);
  const exprs = parts.filter((p) => p.kind === 'expr');
  if (exprs.length !== 1) return undefined;
  if (parts.some((p) => p.kind === 'text' && p.text.trim() !== '')) return undefined;
  return (exprs[0] as { source: string }).source;
}

/** The expression texts (trimmed) of every `${{ }}` in a template, in order. */
export function templateExpressions(template: string): string[] {
  return scanTemplate(template).flatMap((p) => (p.kind === 'expr' ? [p.source.trim()] : []));
}

/** How a value reads inside text: strings as-is, null/missing as nothing, objects as JSON. */
function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** Replaces each `${{ expr }}` in `template` with the expression's value as text. */
export function interpolate(template: string, ctx: ExpressionContext): string {
  if (!template.includes('${{')) return template;
  return scanTemplate(template)
    .map((part) => (part.kind === 'text' ? part.text : stringify(evaluate(parseExpression(part.source), ctx))))
    .join('');
}

/**
 * Interpolates strings anywhere inside objects and arrays (keys are left alone). A string that is one
 * `${{ expr }}` and nothing else keeps the expression's type, so `with: {rows: "${{ params.n }}"}` gives
 * a number when `n` is one.
 */
export function interpolateValue(value: unknown, ctx: ExpressionContext): unknown {
  if (typeof value === 'string') {
    const single = singleExpression(value);
    if (single !== undefined) return evaluate(parseExpression(single), ctx) ?? null;
    return interpolate(value, ctx);
  }
  if (Array.isArray(value)) return value.map((item) => interpolateValue(item, ctx));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateValue(item, ctx);
    return out;
  }
  return value;
}
