import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, describeConfig, loadConfig, type LoadConfigOptions } from '../../src/config/index.js';
import { BerthError } from '../../src/errors/index.js';

const dirs: string[] = [];

/** A fresh, empty folder to use as the working directory. */
function tempCwd(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-config-'));
  dirs.push(dir);
  return dir;
}

function writeYaml(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function refusal(options: LoadConfigOptions): BerthError {
  try {
    loadConfig(options);
  } catch (err) {
    if (err instanceof BerthError) return err;
    throw err;
  }
  throw new Error('expected loadConfig to refuse, but it succeeded');
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig: defaults', () => {
  it('fills every key from the defaults, with home made absolute under cwd', () => {
    const cwd = tempCwd();
    const { config, sources, file } = loadConfig({ env: {}, cwd });
    expect(path.isAbsolute(config.home)).toBe(true);
    expect(config.home).toBe(path.join(cwd, '.berth'));
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8080, body_limit_bytes: 16 * 1024 * 1024, cors_origins: [], rate_limit_per_minute: 0, workers: 1 });
    expect(config.inference).toEqual(DEFAULTS.inference);
    expect(config.inference).toMatchObject({ executor: 'auto', max_batch_size: 64, max_queue_delay_us: 0, watch_interval_ms: 500 });
    expect(config.database).toEqual({ pool_size: 10, busy_timeout_ms: 10_000 });
    expect(config.database.url).toBeUndefined();
    expect(config.artifacts).toEqual({ kind: 'local' });
    expect(config.registry).toEqual({ max_model_bytes: 2 * 1024 * 1024 * 1024, max_card_bytes: 4 * 1024 * 1024, max_dataset_bytes: 1024 * 1024 * 1024 });
    expect(config.log.level).toBe('info');
    expect(sources).toEqual({});
    expect(file).toBeUndefined();
  });

  it('does not share state with DEFAULTS between calls', () => {
    const cwd = tempCwd();
    const first = loadConfig({ env: { BERTH_PORT: '1234' }, cwd });
    expect(first.config.server.port).toBe(1234);
    expect(DEFAULTS.server.port).toBe(8080);
    expect(DEFAULTS.home).toBe('./.berth');
    expect(loadConfig({ env: {}, cwd }).config.server.port).toBe(8080);
  });

  it('treats an empty environment variable as unset', () => {
    const { config, sources } = loadConfig({ env: { BERTH_PORT: '', BERTH_HOST: '' }, cwd: tempCwd() });
    expect(config.server.port).toBe(8080);
    expect(config.server.host).toBe('127.0.0.1');
    expect(sources).toEqual({});
  });
});

describe('loadConfig: precedence defaults < berth.yaml < BERTH_* < flags', () => {
  it('reads berth.yaml from the given cwd and resolves relative paths against cwd', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', 'home: data/berth\nserver:\n  port: 5000\n  host: 0.0.0.0\nartifacts:\n  path: blobs\nlog:\n  level: debug\n');
    const { config, sources, file: used } = loadConfig({ env: {}, cwd });
    expect(used).toBe(file);
    expect(config.home).toBe(path.join(cwd, 'data', 'berth'));
    expect(config.artifacts.path).toBe(path.join(cwd, 'blobs'));
    expect(config.server).toEqual({ host: '0.0.0.0', port: 5000, body_limit_bytes: 16 * 1024 * 1024, cors_origins: [], rate_limit_per_minute: 0, workers: 1 });
    expect(config.log.level).toBe('debug');
    expect(sources).toEqual({ home: file, 'server.port': file, 'server.host': file, 'artifacts.path': file, 'log.level': file });
  });

  it('ignores a berth.yaml in another folder than cwd', () => {
    const elsewhere = tempCwd();
    writeYaml(elsewhere, 'berth.yaml', 'server:\n  port: 5000\n');
    const { config, file } = loadConfig({ env: {}, cwd: tempCwd() });
    expect(config.server.port).toBe(8080);
    expect(file).toBeUndefined();
  });

  it('an explicit configPath (relative to cwd) replaces ./berth.yaml', () => {
    const cwd = tempCwd();
    writeYaml(cwd, 'berth.yaml', 'server:\n  port: 5000\n  host: from-default-file\n');
    const custom = writeYaml(cwd, 'conf/custom.yaml', 'server:\n  port: 5001\n');
    const { config, file, sources } = loadConfig({ env: {}, cwd, configPath: 'conf/custom.yaml' });
    expect(file).toBe(custom);
    expect(config.server.port).toBe(5001);
    // Nothing from ./berth.yaml leaks in.
    expect(config.server.host).toBe('127.0.0.1');
    expect(sources).toEqual({ 'server.port': custom });
  });

  it('BERTH_CONFIG names the file when configPath is absent; configPath wins over it', () => {
    const cwd = tempCwd();
    const other = tempCwd();
    const viaEnv = writeYaml(other, 'env.yaml', 'server:\n  port: 5002\n');
    const viaOption = writeYaml(other, 'option.yaml', 'server:\n  port: 5003\n');
    const fromEnv = loadConfig({ env: { BERTH_CONFIG: viaEnv }, cwd });
    expect(fromEnv.file).toBe(viaEnv);
    expect(fromEnv.config.server.port).toBe(5002);
    const fromOption = loadConfig({ env: { BERTH_CONFIG: viaEnv }, cwd, configPath: viaOption });
    expect(fromOption.file).toBe(viaOption);
    expect(fromOption.config.server.port).toBe(5003);
  });

  it('an empty berth.yaml is accepted and changes nothing', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', '# nothing here\n');
    const { config, file: used, sources } = loadConfig({ env: {}, cwd });
    expect(used).toBe(file);
    expect(config.server.port).toBe(8080);
    expect(sources).toEqual({});
  });

  it('BERTH_* variables override the file, keeping the file’s other keys', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', 'server:\n  port: 5000\n  host: 0.0.0.0\ndatabase:\n  pool_size: 3\n');
    const { config, sources } = loadConfig({
      env: { BERTH_PORT: '6000', BERTH_DATABASE_URL: 'postgres://u@db/x', BERTH_HOME: 'elsewhere', BERTH_LOG_LEVEL: 'warn' },
      cwd,
    });
    expect(config.server.port).toBe(6000);
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.database.pool_size).toBe(3);
    expect(config.database.url).toBe('postgres://u@db/x');
    expect(config.home).toBe(path.join(cwd, 'elsewhere'));
    expect(config.log.level).toBe('warn');
    expect(sources).toMatchObject({ 'server.port': 'BERTH_PORT', 'server.host': file, 'database.pool_size': file, 'database.url': 'BERTH_DATABASE_URL', home: 'BERTH_HOME' });
  });

  it('flags override environment and file, and are coerced like the environment', () => {
    const cwd = tempCwd();
    writeYaml(cwd, 'berth.yaml', 'server:\n  port: 5000\n');
    const { config, sources } = loadConfig({
      env: { BERTH_PORT: '6000', BERTH_HOST: '10.0.0.1' },
      flags: { 'server.port': '7000', 'server.host': undefined, 'log.level': 'error' },
      cwd,
    });
    expect(config.server.port).toBe(7000);
    // An undefined flag is "not given": the environment's value stays.
    expect(config.server.host).toBe('10.0.0.1');
    expect(config.log.level).toBe('error');
    expect(sources['server.port']).toBe('--port');
    expect(sources['server.host']).toBe('BERTH_HOST');
    expect(sources['log.level']).toBe('--level');
  });

  it('coerces integer environment values to numbers', () => {
    const { config } = loadConfig({
      env: { BERTH_PORT: '9000', BERTH_DATABASE_POOL_SIZE: ' 25 ', BERTH_BODY_LIMIT_BYTES: '2048', BERTH_MAX_MODEL_BYTES: '1048576' },
      cwd: tempCwd(),
    });
    expect(config.server.port).toBe(9000);
    expect(typeof config.server.port).toBe('number');
    expect(config.database.pool_size).toBe(25);
    expect(config.server.body_limit_bytes).toBe(2048);
    expect(config.registry.max_model_bytes).toBe(1_048_576);
  });

  it('keeps string settings as strings even when they look like numbers', () => {
    const { config } = loadConfig({ env: { BERTH_HOST: '12345', BERTH_HOME: '2024' }, cwd: tempCwd() });
    expect(config.server.host).toBe('12345');
    expect(config.home.endsWith(`${path.sep}2024`)).toBe(true);
  });
});

describe('loadConfig: refusals name the key, the source, the expectation and the value', () => {
  it('BERTH_PORT=abc', () => {
    const err = refusal({ env: { BERTH_PORT: 'abc' }, cwd: tempCwd() });
    expect(err.code).toBe('invalid_config');
    expect(err.status).toBe(400);
    expect(err.message).toContain(`config key 'server.port' (from BERTH_PORT): expected integer, got "abc"`);
    expect(err.details?.['problems']).toEqual([{ field: 'server.port', expected: 'integer', got: '"abc"' }]);
  });

  it('BERTH_PORT=1.5 is not an integer', () => {
    const err = refusal({ env: { BERTH_PORT: '1.5' }, cwd: tempCwd() });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain(`'server.port' (from BERTH_PORT): expected integer, got "1.5"`);
  });

  it('port 70000 from berth.yaml', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', 'server:\n  port: 70000\n');
    const err = refusal({ env: {}, cwd });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain(`config key 'server.port' (from ${file}): expected maximum 65535, got 70000`);
  });

  it('a negative port from a flag', () => {
    const err = refusal({ env: {}, flags: { 'server.port': '-1' }, cwd: tempCwd() });
    expect(err.message).toContain(`config key 'server.port' (from --port): expected minimum 0, got -1`);
  });

  it('an unknown top-level key in berth.yaml', () => {
    const cwd = tempCwd();
    writeYaml(cwd, 'berth.yaml', 'databse:\n  url: postgres://x\n');
    const err = refusal({ env: {}, cwd });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain(`config key 'databse' (from ${path.join(cwd, 'berth.yaml')}): expected a known setting`);
  });

  it('an unknown key in berth.yaml names the file it came from', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', 'server:\n  prot: 9000\n');
    const err = refusal({ env: {}, cwd });
    expect(err.message).toContain(`config key 'server.prot' (from ${file}): expected a known setting`);
  });

  it("log level 'loud' lists the allowed levels", () => {
    const err = refusal({ env: { BERTH_LOG_LEVEL: 'loud' }, cwd: tempCwd() });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain(`config key 'log.level' (from BERTH_LOG_LEVEL): expected one of`);
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) expect(err.message).toContain(`"${level}"`);
    expect(err.message).toContain('got "loud"');
  });

  it("database url 'mysql://x'", () => {
    const err = refusal({ env: { BERTH_DATABASE_URL: 'mysql://x' }, cwd: tempCwd() });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain(`config key 'database.url' (from BERTH_DATABASE_URL): expected a string matching ^(postgres|postgresql)://, got "mysql://x"`);
  });

  it('a section given as a scalar in berth.yaml', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', 'server: 5\n');
    const err = refusal({ env: {}, cwd });
    expect(err.message).toContain(`config key 'server' (from ${file}): expected object, got 5`);
  });

  it('reports every invalid key at once', () => {
    const err = refusal({ env: { BERTH_PORT: 'abc', BERTH_LOG_LEVEL: 'loud', BERTH_DATABASE_POOL_SIZE: '0' }, cwd: tempCwd() });
    const problems = err.details?.['problems'] as Array<{ field: string }>;
    expect(problems.map((p) => p.field).sort()).toEqual(['database.pool_size', 'log.level', 'server.port']);
    expect(err.message).toContain('(from BERTH_PORT)');
    expect(err.message).toContain('(from BERTH_LOG_LEVEL)');
    expect(err.message).toContain(`'database.pool_size' (from BERTH_DATABASE_POOL_SIZE): expected minimum 1, got 0`);
  });

  it('invalid YAML names the file and the parse error', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', 'server: [\n  port: 1\n');
    const err = refusal({ env: {}, cwd });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain(`config file ${file} is not valid YAML: `);
    expect(err.message).toMatch(/line \d+/);
  });

  it('YAML that is not a mapping is refused', () => {
    const cwd = tempCwd();
    const file = writeYaml(cwd, 'berth.yaml', '- a\n- b\n');
    const err = refusal({ env: {}, cwd });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toBe(`config file ${file}: expected a mapping of keys, got ["a","b"]`);
  });

  it('a missing explicit config file is an error (configPath and BERTH_CONFIG), a missing ./berth.yaml is not', () => {
    const cwd = tempCwd();
    let err = refusal({ env: {}, cwd, configPath: 'nope.yaml' });
    expect(err.code).toBe('invalid_config');
    expect(err.message).toBe(`config file ${path.join(cwd, 'nope.yaml')} does not exist`);
    err = refusal({ env: { BERTH_CONFIG: '/definitely/not/here/berth.yaml' }, cwd });
    expect(err.message).toBe('config file /definitely/not/here/berth.yaml does not exist');
    expect(loadConfig({ env: {}, cwd }).file).toBeUndefined();
  });
});

describe('describeConfig', () => {
  it('masks the Postgres password and leaves the config itself untouched', () => {
    const url = 'postgres://bob:s3cret@db.example:5432/berth';
    const { config } = loadConfig({ env: { BERTH_DATABASE_URL: url, BERTH_DATABASE_SCHEMA: 'team_a' }, cwd: tempCwd() });
    const shown = describeConfig(config);
    const database = shown['database'] as Record<string, unknown>;
    expect(database['url']).toBe('postgres://bob:****@db.example:5432/berth');
    expect(database['kind']).toBe('postgres');
    expect(database['schema']).toBe('team_a');
    expect(database).not.toHaveProperty('file');
    expect(JSON.stringify(shown)).not.toContain('s3cret');
    expect(config.database.url).toBe(url);
  });

  it('leaves a password-less URL as it is', () => {
    const { config } = loadConfig({ env: { BERTH_DATABASE_URL: 'postgresql://bob@db.example/berth' }, cwd: tempCwd() });
    expect((describeConfig(config)['database'] as Record<string, unknown>)['url']).toBe('postgresql://bob@db.example/berth');
  });

  it('shows the SQLite file and the artifacts path derived from home', () => {
    const cwd = tempCwd();
    const { config } = loadConfig({ env: {}, cwd });
    const shown = describeConfig(config);
    expect(shown['home']).toBe(path.join(cwd, '.berth'));
    expect(shown['database']).toEqual({ kind: 'sqlite', pool_size: 10, busy_timeout_ms: 10_000, file: path.join(cwd, '.berth', 'berth.db') });
    expect(shown['artifacts']).toEqual({ kind: 'local', path: path.join(cwd, '.berth', 'artifacts') });
    expect(shown['server']).toEqual(config.server);
  });

  it('shows an explicit artifacts path', () => {
    const cwd = tempCwd();
    const { config } = loadConfig({ env: { BERTH_ARTIFACTS_PATH: 'store' }, cwd });
    expect((describeConfig(config)['artifacts'] as Record<string, unknown>)['path']).toBe(path.join(cwd, 'store'));
  });
});

describe('loadConfig: properties', () => {
  const cwd = tempCwd();

  it('any integer port 0..65535 given as a string in BERTH_PORT loads as that integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
        const { config, sources } = loadConfig({ env: { BERTH_PORT: String(port) }, cwd });
        expect(config.server.port).toBe(port);
        expect(sources['server.port']).toBe('BERTH_PORT');
      }),
      { numRuns: 300 },
    );
  });

  it('an integer outside 0..65535 is refused', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 65536 })), (port) => {
        const err = refusal({ env: { BERTH_PORT: String(port) }, cwd });
        expect(err.code).toBe('invalid_config');
        expect(err.message).toContain(`'server.port' (from BERTH_PORT): expected ${port < 0 ? 'minimum 0' : 'maximum 65535'}, got ${port}`);
      }),
      { numRuns: 200 },
    );
  });

  /**
   * "Not an integer": after trimming, not digits with an optional sign and an optional all-zero fraction
   * (`" 80 "` and `"80.0"` mean 80 and load). The empty string is excluded: it means "unset".
   */
  const INTEGER_TEXT = /^-?\d+(\.0+)?$/;
  const notInteger = fc
    .oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.double({ noNaN: false }).map(String),
      fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 1, max: 999 })).map(([a, b]) => `${a}.${b}`),
      fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.constantFrom('e3', 'x', 'px', ' 1', '_000', ',5', 'n')).map(([a, s]) => `${a}${s}`),
      fc.integer({ min: 0, max: 65535 }).map((n) => `0x${n.toString(16)}`),
      fc.constantFrom('abc', 'NaN', 'Infinity', '-', '+80', '1e3', '8080.', '.5', '٣٤', '８０８０', ' '),
    )
    .filter((s) => s !== '' && !INTEGER_TEXT.test(s.trim()));

  it('any BERTH_PORT that is not an integer is refused with invalid_config', () => {
    fc.assert(
      fc.property(notInteger, (raw) => {
        const err = refusal({ env: { BERTH_PORT: raw }, cwd });
        expect(err.code).toBe('invalid_config');
        expect(err.message).toContain(`config key 'server.port' (from BERTH_PORT): expected integer, got `);
      }),
      { numRuns: 500 },
    );
  });
});
