import { Cron } from 'croner';
import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { BerthError, describeValue } from '../errors/index.js';
import { describeCycle, findCycle, upstreamOf } from './dag.js';
import { parseDuration } from './durations.js';
import { ExpressionSyntaxError, parseCondition, parseExpression, referencedPaths, templateExpressions, type Expr } from './expressions.js';

/** What `uses:` can name: Berth operations run in-process with the step's `with` as arguments. */
export const BUILTIN_STEPS = ['train', 'evaluate', 'register', 'compare', 'promote', 'abtest', 'batch-predict', 'drift', 'assemble'] as const;
export type BuiltinStep = (typeof BUILTIN_STEPS)[number];

export const MAX_PIPELINE_BYTES = 1024 * 1024;
export const MAX_STEPS = 100;
export const MAX_RETRIES = 20;
/** Backoff grows fast; past an hour a retry is better left to the next scheduled run. */
export const MAX_RETRY_DELAY_MS = 3_600_000;
export const DEFAULT_RETRY_DELAY = '1s';
export const DEFAULT_RETRY_BACKOFF = 2;

const PIPELINE_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const STEP_ID = '^[a-z][a-z0-9_-]{0,63}$';
// Param names must be usable as `params.<name>` in expressions; env names as shell variable names.
const PARAM_NAME = '^[A-Za-z_][A-Za-z0-9_-]{0,63}$';
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';

// `expected` is our own annotation: the phrase a refusal uses instead of one derived from the schema.
const Duration = Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Number({ minimum: 0 })], {
  expected: 'a duration such as 30s, 10m or 1h30m (a number means seconds)',
});

const EnvMap = Type.Record(Type.String({ pattern: ENV_NAME }), Type.String({ maxLength: 100_000 }), {
  additionalProperties: false,
  keyExpected: `a variable name matching /${ENV_NAME}/`,
});

export const PipelineStep = Type.Object(
  {
    id: Type.String({ pattern: STEP_ID, expected: `a step id matching /${STEP_ID}/` }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    run: Type.Optional(Type.String({ minLength: 1, maxLength: 100_000, description: 'A shell command (/bin/sh -c).' })),
    uses: Type.Optional(Type.Union(BUILTIN_STEPS.map((name) => Type.Literal(name)))),
    with: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Arguments of a `uses` step; strings may hold ${{ }}.' })),
    env: Type.Optional(EnvMap),
    working_dir: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    needs: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: MAX_STEPS })], {
        expected: 'a step id or a list of step ids',
      }),
    ),
    if: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000, description: 'Run only when this expression is truthy.' })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RETRIES })),
    retry_delay: Type.Optional(Duration),
    retry_backoff: Type.Optional(Type.Number({ minimum: 1 })),
    timeout: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

/** The pipeline file as written. `parsePipeline` returns the normalized form, typed `PipelineSpec`. */
export const PipelineSpec = Type.Object(
  {
    name: Type.String({ pattern: PIPELINE_NAME, expected: `a name matching /${PIPELINE_NAME}/` }),
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    params: Type.Optional(
      Type.Record(Type.String({ pattern: PARAM_NAME }), Type.Union([Type.String({ maxLength: 100_000 }), Type.Number(), Type.Boolean()]), {
        additionalProperties: false,
        keyExpected: `a param name matching /${PARAM_NAME}/`,
      }),
    ),
    schedule: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Cron expression (croner syntax).' })),
    env: Type.Optional(EnvMap),
    working_dir: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    steps: Type.Array(PipelineStep, { minItems: 1, maxItems: MAX_STEPS }),
  },
  { additionalProperties: false },
);

export type PipelineSpecInput = Static<typeof PipelineSpec>;
type StepInput = PipelineSpecInput['steps'][number];

/** A step after parsing: `needs` is always a list and the retry settings are filled in. */
export type StepSpec = Omit<StepInput, 'needs' | 'retries' | 'retry_delay' | 'retry_backoff'> & {
  needs: string[];
  retries: number;
  retry_delay: string | number;
  retry_backoff: number;
};

/** A validated, normalized pipeline. Plain JSON, so it can be stored with each run and read back. */
export type PipelineSpec = Omit<PipelineSpecInput, 'steps'> & { steps: StepSpec[] };

// ---------------------------------------------------------------------------------------------------
// Problems and how they read

type PathSegment = string | number;

interface Problem {
  path: PathSegment[];
  /** What follows `field: ` in the message. */
  text: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['steps', 1, 'retries']` → `steps[1].retries`: the way people point at YAML fields. */
export function formatFieldPath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      if (IDENTIFIER.test(segment)) return i === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join('');
}

interface SchemaNode {
  type?: string;
  anyOf?: SchemaNode[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  expected?: string;
  keyExpected?: string;
}

function schemaAt(root: TSchema, schemaPath: string): SchemaNode | undefined {
  let node: unknown = root;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/').filter((s) => s !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node as SchemaNode | undefined;
}

function range(node: SchemaNode): string {
  const low = node.minimum !== undefined ? `>= ${node.minimum}` : node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : '';
  const high = node.maximum !== undefined ? `<= ${node.maximum}` : node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : '';
  if (node.minimum !== undefined && node.maximum !== undefined) return ` between ${node.minimum} and ${node.maximum}`;
  return [low, high].filter(Boolean).map((s) => ` ${s}`).join(' and');
}

function describeSchema(node: SchemaNode | undefined): string {
  if (!node) return 'a valid value';
  if (node.expected) return node.expected;
  if (node.anyOf) {
    if (node.anyOf.every((b) => b.const !== undefined)) return `one of ${node.anyOf.map((b) => JSON.stringify(b.const)).join(', ')}`;
    return node.anyOf.map(describeSchema).join(' or ');
  }
  if (node.const !== undefined) return JSON.stringify(node.const);
  switch (node.type) {
    case 'string':
      if (node.pattern) return `a string matching /${node.pattern}/`;
      return node.minLength ? 'a non-empty string' : 'a string';
    case 'integer':
    case 'number':
      return `${node.type === 'integer' ? 'an integer' : 'a number'}${range(node)}`;
    case 'boolean':
      return 'true or false';
    case 'array':
      return `a list of ${describeSchema(node.items).replace(/^an? /, '')}s`;
    case 'object':
      return 'a mapping';
    default:
      return 'any value';
  }
}

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

function pointerToPath(pointer: string): PathSegment[] {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[String(segment)];
  }
  return current;
}

/**
 * TypeBox reports a failed union once per branch (and not always once for the union itself); only the
 * union as a whole says something a person can use ("a step id or a list of step ids"), so branch
 * errors are folded into one problem per union and value.
 */
function schemaProblems(value: unknown): Problem[] {
  const errors = ([...Value.Errors(PipelineSpec, value)] as SchemaError[])
    .filter((e) => !(e.keyword === 'boolean' && e.message === 'schema is false'))
    .sort((a, b) => a.instancePath.length - b.instancePath.length);
  const unions: Array<{ schemaPath: string; instancePath: string }> = [];
  const useful: SchemaError[] = [];
  for (const error of errors) {
    const branch = error.schemaPath.indexOf('/anyOf/');
    const unionPath = error.keyword === 'anyOf' ? error.schemaPath : branch >= 0 ? error.schemaPath.slice(0, branch) : undefined;
    if (unionPath === undefined) {
      useful.push(error);
      continue;
    }
    const known = unions.find(
      (u) => u.schemaPath === unionPath && (error.instancePath === u.instancePath || error.instancePath.startsWith(`${u.instancePath}/`)),
    );
    if (known) continue;
    unions.push({ schemaPath: unionPath, instancePath: error.instancePath });
    useful.push({ keyword: 'anyOf', schemaPath: unionPath, instancePath: error.instancePath, params: {}, message: '' });
  }
  const problems: Problem[] = [];
  for (const error of useful) {
    const path = pointerToPath(error.instancePath);
    const node = schemaAt(PipelineSpec, error.schemaPath);
    const got = describeValue(valueAt(value, path));
    switch (error.keyword) {
      case 'required':
        for (const name of (error.params['requiredProperties'] as string[] | undefined) ?? []) {
          problems.push({ path: [...path, name], text: `expected ${describeSchema(node?.properties?.[name])}, got nothing (it is required)` });
        }
        break;
      case 'additionalProperties': {
        const extras = (error.params['additionalProperties'] as string[] | undefined) ?? [];
        for (const key of extras) {
          const text = node?.keyExpected
            ? `invalid name; expected ${node.keyExpected}`
            : `unknown key; expected one of ${Object.keys(node?.properties ?? {}).join(', ')}`;
          problems.push({ path: [...path, key], text });
        }
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const comparison = String(error.params['comparison'] ?? { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[error.keyword]);
        const base = node?.type === 'integer' ? 'integer' : 'number';
        problems.push({ path, text: `expected ${base} ${comparison} ${String(error.params['limit'])}, got ${got}` });
        break;
      }
      case 'minItems':
        problems.push({ path, text: `expected at least ${String(error.params['limit'])} item(s), got ${got}` });
        break;
      case 'maxItems':
        problems.push({ path, text: `expected at most ${String(error.params['limit'])} items, got ${(valueAt(value, path) as unknown[]).length}` });
        break;
      case 'minLength':
        problems.push({ path, text: `expected ${describeSchema(node)}, got ${got}` });
        break;
      case 'maxLength':
        problems.push({ path, text: `expected at most ${String(error.params['limit'])} characters, got ${(valueAt(value, path) as string).length}` });
        break;
      default: {
        const hint = path[path.length - 2] === 'env' && node?.type === 'string' ? ' (quote numbers and booleans in YAML)' : '';
        problems.push({ path, text: `expected ${describeSchema(node)}, got ${got}${hint}` });
      }
    }
  }
  return problems;
}

/** Where a field sits in the YAML text, when it is there at all, for "(line 12)". */
function lineOf(doc: Document, counter: LineCounter, path: readonly PathSegment[]): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = length === 0 ? doc.contents : doc.getIn(path.slice(0, length), true);
    const offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
    if (offset !== undefined) return counter.linePos(offset).line;
  }
  return undefined;
}

function refuse(problems: Problem[], source: string | undefined, located?: { doc: Document; counter: LineCounter }): never {
  const placed = problems.map((p, index) => ({ ...p, index, line: located ? lineOf(located.doc, located.counter, p.path) : undefined }));
  // Report in file order: the first problem a reader meets going down the file is the one to fix first.
  placed.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.index - b.index);
  const lines = placed.map((p) => `${formatFieldPath(p.path)}: ${p.text}${p.line !== undefined ? ` (line ${p.line})` : ''}`);
  const first = lines[0] ?? 'invalid';
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more: ${lines.slice(1, 4).join('; ')}${lines.length > 4 ? '; ...' : ''})` : '';
  throw new BerthError('invalid_input', `invalid pipeline${source ? ` ${source}` : ''}: ${first}${more}`, {
    ...(source ? { source } : {}),
    field: placed[0] ? formatFieldPath(placed[0].path) : undefined,
    problems: placed.map((p) => ({ field: formatFieldPath(p.path), problem: p.text, ...(p.line !== undefined ? { line: p.line } : {}) })),
  });
}

// ---------------------------------------------------------------------------------------------------
// Expressions inside the spec

const READABLE =
  'expressions can read params.<name>, steps.<id>.outputs.<name>, steps.<id>.state, env.<NAME>, run.id and run.attempt';

interface Scope {
  /** The step the expression belongs to, or undefined at pipeline level. */
  step?: string;
  upstream: ReadonlySet<string>;
  stepIds: ReadonlySet<string>;
  params: ReadonlySet<string>;
}

function referenceProblem(path: string[], scope: Scope): string | undefined {
  const [root, first, second] = path;
  const shown = path.join('.');
  switch (root) {
    case 'params':
      if (first === undefined) return `refers to params as a whole; name one param, e.g. params.${[...scope.params][0] ?? 'x'}`;
      if (!scope.params.has(first)) {
        return `refers to ${shown}, but params declares no '${first}' (declared: ${[...scope.params].join(', ') || 'none'})`;
      }
      return undefined;
    case 'steps':
      if (first === undefined || (second !== 'outputs' && second !== 'state') || (second === 'state' && path.length > 3)) {
        return `refers to ${shown}; expected steps.<id>.outputs.<name> or steps.<id>.state`;
      }
      if (scope.step === undefined) return `refers to ${shown}, but pipeline-level settings cannot read step results`;
      if (!scope.stepIds.has(first)) return `refers to step '${first}', which is not a step in this pipeline`;
      if (first === scope.step) return `refers to step '${first}' itself; a step can only read steps it needs`;
      if (!scope.upstream.has(first)) {
        return `refers to step '${first}', which is not upstream of '${scope.step}' (it may not have run yet); add '${first}' to its needs`;
      }
      return undefined;
    case 'env':
      return first !== undefined && path.length === 2 ? undefined : `refers to ${shown}; expected env.<NAME>`;
    case 'run':
      return path.length === 2 && (first === 'id' || first === 'attempt') ? undefined : `refers to ${shown}; expected run.id or run.attempt`;
    default:
      return `refers to unknown name '${root}' (${shown}); ${READABLE}`;
  }
}

/** The field path already leads the message; the step id is added because paths are by index. */
function where(scope: Scope): string {
  return scope.step !== undefined ? `in step '${scope.step}', ` : '';
}

function checkExpression(parse: () => Expr, scope: Scope, path: PathSegment[], problems: Problem[]): void {
  let expr: Expr;
  try {
    expr = parse();
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) {
      problems.push({ path, text: `${where(scope)}${err.message}` });
      return;
    }
    throw err;
  }
  for (const ref of referencedPaths(expr)) {
    const problem = referenceProblem(ref, scope);
    if (problem) problems.push({ path, text: `${where(scope)}expression ${problem}` });
  }
}

function checkTemplate(template: string, scope: Scope, path: PathSegment[], problems: Problem[]): void {
  if (!template.includes('${{')) return;
  let sources: string[];
  try {
    sources = templateExpressions(template);
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) {
      problems.push({ path, text: `${where(scope)}${err.message}` });
      return;
    }
    throw err;
  }
  for (const source of sources) checkExpression(() => parseExpression(source), scope, path, problems);
}

/** Every string inside `with`, however deep, may be a template. */
function checkValueTemplates(value: unknown, scope: Scope, path: PathSegment[], problems: Problem[]): void {
  if (typeof value === 'string') checkTemplate(value, scope, path, problems);
  else if (Array.isArray(value)) value.forEach((item, i) => checkValueTemplates(item, scope, [...path, i], problems));
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) checkValueTemplates(item, scope, [...path, key], problems);
  }
}

// ---------------------------------------------------------------------------------------------------
// Parsing

function durationProblem(value: string | number, path: PathSegment[], problems: Problem[], positive = false): void {
  try {
    const ms = parseDuration(value, formatFieldPath(path));
    if (positive && ms <= 0) problems.push({ path, text: `expected a duration longer than 0, got ${describeValue(value)}` });
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    // parseDuration names the field first; the refusal adds it again, so keep only the explanation.
    problems.push({ path, text: err.message.replace(/^[^:]*: /, '') });
  }
}

function semanticProblems(input: PipelineSpecInput): Problem[] {
  const problems: Problem[] = [];
  const steps = input.steps;

  const firstIndex = new Map<string, number>();
  steps.forEach((step, i) => {
    const earlier = firstIndex.get(step.id);
    if (earlier !== undefined) problems.push({ path: ['steps', i, 'id'], text: `duplicate step id '${step.id}' (also steps[${earlier}])` });
    else firstIndex.set(step.id, i);
  });

  const stepIds = new Set(firstIndex.keys());
  const needsOf = (step: StepInput): string[] => (step.needs === undefined ? [] : typeof step.needs === 'string' ? [step.needs] : step.needs);
  steps.forEach((step, i) => {
    for (const need of needsOf(step)) {
      if (!stepIds.has(need)) {
        problems.push({
          path: ['steps', i, 'needs'],
          text: `step '${step.id}' needs '${need}', which is not a step in this pipeline (steps: ${[...stepIds].join(', ')})`,
        });
      }
    }
  });
  const cycle = findCycle(steps);
  if (cycle) {
    const at = firstIndex.get(cycle[0]!) ?? 0;
    problems.push({ path: ['steps', at, 'needs'], text: `needs form a cycle: ${describeCycle(cycle)}` });
  }
  // Everything below reasons about the graph ("is this step upstream?"); on a broken graph it would only
  // add follow-on complaints that vanish once the graph is fixed.
  if (problems.length > 0) return problems;

  if (input.schedule !== undefined) {
    try {
      new Cron(input.schedule).stop();
    } catch (err) {
      problems.push({ path: ['schedule'], text: `expected a cron expression such as "0 3 * * *", got ${describeValue(input.schedule)} (${(err as Error).message})` });
    }
  }

  const params = new Set(Object.keys(input.params ?? {}));
  const pipelineScope: Scope = { upstream: new Set(), stepIds, params };
  for (const [key, value] of Object.entries(input.env ?? {})) checkTemplate(value, pipelineScope, ['env', key], problems);

  steps.forEach((step, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['steps', i, ...rest];
    if (step.run !== undefined && step.uses !== undefined) problems.push({ path: at(), text: `step '${step.id}' has both run and uses; expected exactly one` });
    if (step.run === undefined && step.uses === undefined) problems.push({ path: at(), text: `step '${step.id}' has neither run nor uses; expected exactly one` });
    if (step.with !== undefined && step.uses === undefined) {
      problems.push({ path: at('with'), text: `with is only for uses steps; step '${step.id}' runs a command (use env to pass it values)` });
    }
    if (step.retry_delay !== undefined) durationProblem(step.retry_delay, at('retry_delay'), problems);
    if (step.timeout !== undefined) durationProblem(step.timeout, at('timeout'), problems, true);

    const scope: Scope = { step: step.id, upstream: upstreamOf(steps, step.id), stepIds, params };
    if (step.run !== undefined) checkTemplate(step.run, scope, at('run'), problems);
    for (const [key, value] of Object.entries(step.env ?? {})) checkTemplate(value, scope, at('env', key), problems);
    if (step.with !== undefined) checkValueTemplates(step.with, scope, at('with'), problems);
    if (step.if !== undefined) {
      const condition = step.if;
      checkExpression(() => parseCondition(condition), scope, at('if'), problems);
    }
  });
  return problems;
}

function normalize(input: PipelineSpecInput): PipelineSpec {
  return {
    ...input,
    steps: input.steps.map((step) => ({
      ...step,
      needs: [...new Set(step.needs === undefined ? [] : typeof step.needs === 'string' ? [step.needs] : step.needs)],
      retries: step.retries ?? 0,
      retry_delay: step.retry_delay ?? DEFAULT_RETRY_DELAY,
      retry_backoff: step.retry_backoff ?? DEFAULT_RETRY_BACKOFF,
    })),
  };
}

/**
 * Reads a pipeline file: YAML, then the schema, then what a schema cannot say (ids unique, needs known
 * and acyclic, run xor uses, durations, cron, every `${{ }}` parses and reads only what will exist when
 * it runs). Refusals are `invalid_input` naming the field, what was expected and what came, with the
 * line; `source` (the file name) goes into the message.
 */
export function parsePipeline(text: string, source?: string): PipelineSpec {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PIPELINE_BYTES) {
    throw new BerthError('invalid_input', `pipeline file${source ? ` ${source}` : ''} is ${bytes} bytes; the limit is ${MAX_PIPELINE_BYTES} (1 MiB)`, {
      ...(source ? { source } : {}),
      bytes,
      limit: MAX_PIPELINE_BYTES,
    });
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = yamlError.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    const reason = yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new BerthError('invalid_input', `pipeline file${source ? ` ${source}` : ''} is not valid YAML${at}: ${reason}`, {
      ...(source ? { source } : {}),
      ...(pos ? { line: pos.line, column: pos.col } : {}),
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new BerthError('invalid_input', `pipeline file${source ? ` ${source}` : ''} could not be read: ${(err as Error).message}`);
  }
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    refuse([{ path: [], text: `expected a mapping with name and steps, got ${value === null || value === undefined ? 'nothing' : describeValue(value)}` }], source);
  }
  const located = { doc, counter };
  if (!Value.Check(PipelineSpec, value)) refuse(schemaProblems(value), source, located);
  const input = value as PipelineSpecInput;
  const problems = semanticProblems(input);
  if (problems.length > 0) refuse(problems, source, located);
  return normalize(input);
}

/**
 * How long to wait before retry number `retry` (1 for the first retry): retry_delay × backoff^(retry-1),
 * capped at an hour. Specs stored before defaults existed still work: missing settings take the defaults.
 */
export function retryDelayMs(step: Pick<StepSpec, 'id' | 'retry_delay' | 'retry_backoff'>, retry: number): number {
  const base = parseDuration(step.retry_delay ?? DEFAULT_RETRY_DELAY, `steps.${step.id}.retry_delay`);
  if (base === 0) return 0;
  const backoff = step.retry_backoff ?? DEFAULT_RETRY_BACKOFF;
  const exponent = Math.max(0, Math.floor(retry) - 1);
  const delay = base * backoff ** exponent;
  return Number.isFinite(delay) ? Math.min(MAX_RETRY_DELAY_MS, Math.round(delay)) : MAX_RETRY_DELAY_MS;
}
