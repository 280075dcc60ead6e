import Type, { type Static } from 'typebox';

const LogLevel = Type.Union([
  Type.Literal('fatal'),
  Type.Literal('error'),
  Type.Literal('warn'),
  Type.Literal('info'),
  Type.Literal('debug'),
  Type.Literal('trace'),
  Type.Literal('silent'),
]);

/** Every setting Berth reads, with its default. The README's configuration table mirrors this. */
export const ConfigSchema = Type.Object(
  {
    home: Type.String({ minLength: 1, description: 'Folder for the SQLite file and the local artifact store.' }),
    database: Type.Object(
      {
        url: Type.Optional(
          Type.String({ pattern: '^(postgres|postgresql)://', description: 'Postgres URL; SQLite under `home` when absent.' }),
        ),
        schema: Type.Optional(
          Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', description: 'Postgres schema (search_path); created if missing.' }),
        ),
        pool_size: Type.Integer({ minimum: 1, maximum: 200 }),
        busy_timeout_ms: Type.Integer({ minimum: 0, maximum: 600_000, description: 'SQLite: wait this long for a lock.' }),
      },
      { additionalProperties: false },
    ),
    artifacts: Type.Object(
      {
        kind: Type.Literal('local'),
        path: Type.Optional(Type.String({ minLength: 1, description: 'Defaults to `<home>/artifacts`.' })),
      },
      { additionalProperties: false },
    ),
    server: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        body_limit_bytes: Type.Integer({ minimum: 1024, description: 'Largest JSON body accepted.' }),
      },
      { additionalProperties: false },
    ),
    registry: Type.Object(
      {
        max_model_bytes: Type.Integer({ minimum: 1024, description: 'Largest ONNX file accepted on upload.' }),
        max_card_bytes: Type.Integer({ minimum: 1024, description: 'Largest model card accepted.' }),
      },
      { additionalProperties: false },
    ),
    log: Type.Object({ level: LogLevel }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

export const DEFAULTS: Config = {
  home: './.berth',
  database: { pool_size: 10, busy_timeout_ms: 10_000 },
  artifacts: { kind: 'local' },
  server: { host: '127.0.0.1', port: 8080, body_limit_bytes: 16 * 1024 * 1024 },
  registry: { max_model_bytes: 2 * 1024 * 1024 * 1024, max_card_bytes: 4 * 1024 * 1024 },
  log: { level: 'info' },
};

/** Environment variables Berth reads, and the config key each one sets. */
export const ENV_KEYS: Record<string, string> = {
  BERTH_HOME: 'home',
  BERTH_DATABASE_URL: 'database.url',
  BERTH_DATABASE_SCHEMA: 'database.schema',
  BERTH_DATABASE_POOL_SIZE: 'database.pool_size',
  BERTH_ARTIFACTS_PATH: 'artifacts.path',
  BERTH_HOST: 'server.host',
  BERTH_PORT: 'server.port',
  BERTH_BODY_LIMIT_BYTES: 'server.body_limit_bytes',
  BERTH_MAX_MODEL_BYTES: 'registry.max_model_bytes',
  BERTH_LOG_LEVEL: 'log.level',
};
