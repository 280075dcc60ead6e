import type { TSchema, Static } from 'typebox';
import Value from 'typebox/value';
import { BerthError, describeValue, type ErrorCode } from '../errors/index.js';

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `inputs.0.features.3.min`; empty for the root. */
  field: string;
  expected: string;
  got: string;
}

interface TypeBoxError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function valueAt(root: unknown, field: string): unknown {
  if (field === '') return root;
  let current: unknown = root;
  for (const part of field.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function expectation(error: TypeBoxError, siblings: TypeBoxError[]): string {
  const p = error.params;
  switch (error.keyword) {
    case 'type':
      return String(p['type']);
    case 'const':
    case 'anyOf': {
      const allowed = siblings
        .filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath)
        .map((e) => JSON.stringify(e.params['allowedValue']));
      return allowed.length > 0 ? `one of ${allowed.join(', ')}` : 'a value matching one of the allowed forms';
    }
    case 'enum':
      return `one of ${JSON.stringify(p['allowedValues'])}`;
    case 'required':
      return `required field(s) ${JSON.stringify(p['requiredProperties'])}`;
    case 'additionalProperties':
      return `no unknown fields (found ${JSON.stringify(p['additionalProperties'])})`;
    case 'pattern':
      return `a string matching ${String(p['pattern'])}`;
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
      return `${error.keyword} ${JSON.stringify(p['limit'] ?? Object.values(p)[0])}`;
    default:
      return error.message;
  }
}

const DISCRIMINATOR = /^(.*\/anyOf\/\d+)\/properties\/(kind|type)$/;

/**
 * Card unions are discriminated by `kind` or `type`. TypeBox reports every branch's complaints; keep only
 * those of the branch whose discriminator matched, so "min: expected number" is not buried under
 * "type: expected category" from a branch the user never meant.
 */
function dropRejectedBranches(errors: TypeBoxError[]): TypeBoxError[] {
  const rejected = errors
    .filter((e) => e.keyword === 'const')
    .map((e) => DISCRIMINATOR.exec(e.schemaPath)?.[1])
    .filter((prefix): prefix is string => prefix !== undefined);
  if (rejected.length === 0) return errors;
  const kept = errors.filter((e) => !rejected.some((prefix) => e.schemaPath === prefix || e.schemaPath.startsWith(`${prefix}/`)));
  // The union's own "must match a schema in anyOf" only helps when no branch matched its discriminator.
  return kept.filter((e) => !(e.keyword === 'anyOf' && kept.some((k) => k !== e && k.schemaPath.startsWith(`${e.schemaPath}/anyOf/`))));
}

/** Turns TypeBox's error list into problems a person can read: one per field, most specific first. */
export function explain(schema: TSchema, value: unknown): FieldProblem[] {
  const errors = [...Value.Errors(schema, value)] as TypeBoxError[];
  // `additionalProperties: false` reports each unknown key twice (as a `false` schema and on the parent).
  const useful = dropRejectedBranches(errors.filter((e) => !(e.keyword === 'boolean' && e.message === 'schema is false')));
  const seen = new Set<string>();
  const problems: FieldProblem[] = [];
  // Deepest paths first: "inputs.0.features.2.type" says more than "inputs".
  const ordered = [...useful].sort((a, b) => b.instancePath.length - a.instancePath.length);
  for (const error of ordered) {
    if (error.keyword === 'const' && ordered.some((e) => e.keyword === 'anyOf' && e.instancePath === error.instancePath)) continue;
    const field = pointerToField(error.instancePath);
    if (seen.has(field)) continue;
    seen.add(field);
    if (error.keyword === 'additionalProperties') {
      const extras = (error.params['additionalProperties'] as string[] | undefined) ?? [];
      problems.push({ field: field || '(root)', expected: `no unknown fields`, got: `unknown field(s) ${extras.map((x) => `'${x}'`).join(', ')}` });
      continue;
    }
    if (error.keyword === 'required') {
      const missing = (error.params['requiredProperties'] as string[] | undefined) ?? [];
      for (const name of missing) {
        problems.push({ field: field ? `${field}.${name}` : name, expected: 'a value', got: 'nothing (missing)' });
      }
      continue;
    }
    problems.push({ field: field || '(root)', expected: expectation(error, useful), got: describeValue(valueAt(value, field)) });
  }
  return problems;
}

export function formatProblem(problem: FieldProblem): string {
  return `'${problem.field}': expected ${problem.expected}, got ${problem.got}`;
}

/**
 * Checks `value` against `schema` and returns it typed, or throws a BerthError naming the first bad
 * field (all of them in `details.problems`).
 */
export function parseWith<S extends TSchema>(
  schema: S,
  value: unknown,
  what: string,
  code: ErrorCode = 'invalid_input',
): Static<S> {
  if (Value.Check(schema, value)) return value as Static<S>;
  const problems = explain(schema, value);
  const first = problems[0];
  const message = first ? `${what} ${formatProblem(first)}` : `${what} is invalid`;
  throw new BerthError(code, problems.length > 1 ? `${message} (and ${problems.length - 1} more)` : message, {
    problems,
  });
}

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
