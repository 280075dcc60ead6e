import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { BerthError, describeValue } from '../errors/index.js';
import { explain, type FieldProblem } from '../validation/index.js';
import { ConfigSchema, DEFAULTS, ENV_KEYS, type Config } from './schema.js';

export interface LoadConfigOptions {
  /** Path of a YAML file; `BERTH_CONFIG` when absent, else `./berth.yaml` if it exists. */
  configPath?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by dotted key (`server.port`). They win over everything. */
  flags?: Record<string, string | number | undefined>;
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Where each explicitly set key came from: a file path, an environment variable or `--flag`. */
  sources: Record<string, string>;
  file: string | undefined;
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    if (!isTree(node[part])) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

function schemaAt(dotted: string): TSchema | undefined {
  let schema: TSchema | undefined = ConfigSchema;
  for (const part of dotted.split('.')) {
    const properties: Record<string, TSchema> | undefined = (schema as { properties?: Record<string, TSchema> } | undefined)?.properties;
    schema = properties?.[part];
  }
  return schema;
}

/** Environment variables and flags arrive as strings: turn exact integers into numbers, leave the rest to validation. */
function coerce(dotted: string, raw: string | number): unknown {
  if (typeof raw === 'number') return raw;
  const type = (schemaAt(dotted) as { type?: string } | undefined)?.type;
  const text = raw.trim();
  if (type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  if (type === 'number' && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (type === 'boolean' && /^(true|false|1|0)$/i.test(text)) return /^(true|1)$/i.test(text);
  return raw;
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isTree(value) && isTree(out[key]) ? deepMerge(out[key] as Tree, value) : value;
  }
  return out;
}

function flatten(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    isTree(value) ? flatten(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/**
 * Builds the one validated Config: defaults < berth.yaml < BERTH_* environment < flags.
 * An invalid value fails here, naming the key, where it came from, what was expected and what was found.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const sources: Record<string, string> = {};
  let tree: Tree = structuredClone(DEFAULTS) as unknown as Tree;

  const explicitFile = options.configPath ?? env['BERTH_CONFIG'];
  const file = explicitFile ? path.resolve(cwd, explicitFile) : path.resolve(cwd, 'berth.yaml');
  let usedFile: string | undefined;
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new BerthError('invalid_config', `config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (!isTree(parsed)) {
        throw new BerthError('invalid_config', `config file ${file}: expected a mapping of keys, got ${describeValue(parsed)}`);
      }
      tree = deepMerge(tree, parsed);
      for (const key of flatten(parsed)) sources[key] = file;
    }
    usedFile = file;
  } else if (explicitFile) {
    throw new BerthError('invalid_config', `config file ${file} does not exist`);
  }

  for (const [variable, key] of Object.entries(ENV_KEYS)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    setPath(tree, key, coerce(key, raw));
    sources[key] = variable;
  }
  for (const [key, raw] of Object.entries(options.flags ?? {})) {
    if (raw === undefined) continue;
    setPath(tree, key, coerce(key, raw));
    sources[key] = `--${key.split('.').pop()!.replace(/_/g, '-')}`;
  }

  if (!Value.Check(ConfigSchema, tree)) {
    const problems = explain(ConfigSchema, tree);
    const sourceOf = (field: string) => sources[field] ?? Object.entries(sources).find(([key]) => key.startsWith(`${field}.`))?.[1];
    const lines = problems.flatMap((p) => unknownKeysApart(p)).map((p) => {
      const source = sourceOf(p.field);
      const from = source ? ` (from ${source})` : '';
      return `config key '${p.field}'${from}: expected ${p.expected}, got ${p.got}`;
    });
    throw new BerthError('invalid_config', `invalid configuration:\n  ${lines.join('\n  ')}`, { problems });
  }
  const config = tree as unknown as Config;
  config.home = path.resolve(cwd, config.home);
  if (config.artifacts.path) config.artifacts.path = path.resolve(cwd, config.artifacts.path);
  return { config, sources, file: usedFile };
}

/** "server: unknown field(s) 'prot'" becomes "server.prot: not a setting", which `sources` can place. */
function unknownKeysApart(problem: FieldProblem): FieldProblem[] {
  const names = [...problem.got.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  if (problem.expected !== 'no unknown fields' || names.length === 0) return [problem];
  const parent = problem.field === '(root)' ? '' : `${problem.field}.`;
  return names.map((name) => ({ field: `${parent}${name}`, expected: 'a known setting (see `berth config`)', got: 'an unknown key' }));
}

/** The config as `berth config` prints it: secrets masked, derived paths filled in. */
export function describeConfig(config: Config): Record<string, unknown> {
  const shown = structuredClone(config) as Config & { database: Config['database'] & { kind?: string } };
  if (shown.database.url) {
    try {
      const url = new URL(shown.database.url);
      if (url.password) url.password = '****';
      shown.database.url = url.toString();
    } catch {
      shown.database.url = '****';
    }
  }
  for (const hook of shown.monitoring.webhooks) if (hook.secret) hook.secret = '****';
  return {
    ...shown,
    database: { kind: config.database.url ? 'postgres' : 'sqlite', ...shown.database, ...(config.database.url ? {} : { file: sqliteFile(config) }) },
    artifacts: { ...shown.artifacts, path: artifactsPath(config) },
  };
}

export function sqliteFile(config: Config): string {
  return path.join(config.home, 'berth.db');
}

export function artifactsPath(config: Config): string {
  return config.artifacts.path ?? path.join(config.home, 'artifacts');
}
