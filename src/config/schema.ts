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
        cors_origins: Type.Array(Type.String({ minLength: 1 }), { description: 'Origins allowed by CORS; empty = CORS off.' }),
        rate_limit_per_minute: Type.Integer({ minimum: 0, description: 'Requests per minute per API key (or IP); 0 = no limit.' }),
        workers: Type.Integer({ minimum: 1, maximum: 256, description: 'Server processes sharing the port (node:cluster).' }),
      },
      { additionalProperties: false },
    ),
    registry: Type.Object(
      {
        max_model_bytes: Type.Integer({ minimum: 1024, description: 'Largest ONNX file accepted on upload.' }),
        max_card_bytes: Type.Integer({ minimum: 1024, description: 'Largest model card accepted.' }),
        max_dataset_bytes: Type.Integer({ minimum: 1024, description: 'Largest dataset file accepted.' }),
      },
      { additionalProperties: false },
    ),
    inference: Type.Object(
      {
        executor: Type.Union([Type.Literal('auto'), Type.Literal('inline'), Type.Literal('worker')], {
          description: 'auto: run on the event loop unless a probe run takes longer than worker_threshold_ms.',
        }),
        worker_threshold_ms: Type.Number({ minimum: 0 }),
        worker_threads: Type.Integer({ minimum: 1, maximum: 64, description: 'Sessions (threads) per version on the worker executor.' }),
        intra_op_threads: Type.Integer({ minimum: 0, maximum: 256, description: 'onnxruntime intra-op threads per session (0 = its default).' }),
        inter_op_threads: Type.Integer({ minimum: 0, maximum: 256 }),
        graph_optimization: Type.Union([Type.Literal('disabled'), Type.Literal('basic'), Type.Literal('extended'), Type.Literal('all')]),
        max_batch_size: Type.Integer({ minimum: 1, maximum: 65_536 }),
        max_queue_delay_us: Type.Integer({ minimum: 0, maximum: 10_000_000, description: '0: never wait on purpose for a fuller batch.' }),
        max_queue_rows: Type.Integer({ minimum: 1, description: 'Rows waiting per version before requests get 503.' }),
        max_instances: Type.Integer({ minimum: 1, description: 'Most instances in one predict or batch request.' }),
        max_image_pixels: Type.Integer({ minimum: 1, description: 'Decompression-bomb guard.' }),
        max_image_bytes: Type.Integer({ minimum: 1024 }),
        max_loaded_versions: Type.Integer({ minimum: 1 }),
        watch_interval_ms: Type.Integer({ minimum: 50, maximum: 60_000, description: 'How often serving checks for alias moves.' }),
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
  server: { host: '127.0.0.1', port: 8080, body_limit_bytes: 16 * 1024 * 1024, cors_origins: [], rate_limit_per_minute: 0, workers: 1 },
  registry: { max_model_bytes: 2 * 1024 * 1024 * 1024, max_card_bytes: 4 * 1024 * 1024, max_dataset_bytes: 1024 * 1024 * 1024 },
  inference: {
    executor: 'auto',
    worker_threshold_ms: 2,
    worker_threads: 1,
    intra_op_threads: 1,
    inter_op_threads: 1,
    graph_optimization: 'all',
    max_batch_size: 64,
    max_queue_delay_us: 0,
    max_queue_rows: 20_000,
    max_instances: 100_000,
    max_image_pixels: 40_000_000,
    max_image_bytes: 20 * 1024 * 1024,
    max_loaded_versions: 16,
    watch_interval_ms: 500,
  },
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
  BERTH_WORKERS: 'server.workers',
  BERTH_RATE_LIMIT_PER_MINUTE: 'server.rate_limit_per_minute',
  BERTH_EXECUTOR: 'inference.executor',
  BERTH_MAX_BATCH_SIZE: 'inference.max_batch_size',
  BERTH_MAX_QUEUE_DELAY_US: 'inference.max_queue_delay_us',
  BERTH_WATCH_INTERVAL_MS: 'inference.watch_interval_ms',
};
