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

export const Severity = Type.Union([Type.Literal('CRITICAL'), Type.Literal('WARNING'), Type.Literal('INFO')]);

export const AlertMetric = Type.Union(
  [
    Type.Literal('accuracy'),
    Type.Literal('accuracy_drop'),
    Type.Literal('mae'),
    Type.Literal('rmse'),
    Type.Literal('error_rate'),
    Type.Literal('refused_share'),
    Type.Literal('latency_p95_ms'),
    Type.Literal('latency_p99_ms'),
    Type.Literal('drift_share'),
    Type.Literal('feature_drift'),
    Type.Literal('prediction_drift'),
    Type.Literal('missing_share'),
    Type.Literal('out_of_range_share'),
    Type.Literal('unseen_category_share'),
  ],
  { description: 'accuracy_drop = card accuracy minus window accuracy (absolute); feature_drift = the drift score of `feature` (p-value tests: 1 - p).' },
);

/** One alert rule: `metric operator threshold` over the last `window_hours`, true for `for_seconds`. */
export const AlertRuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_.:-]+$' }),
    model: Type.String({ minLength: 1, maxLength: 250, description: "A model name, or '*' for every model." }),
    metric: AlertMetric,
    feature: Type.Optional(Type.String({ minLength: 1, maxLength: 250, description: 'For feature_drift and the data-quality shares: one feature (default: the worst).' })),
    operator: Type.Union([Type.Literal('>'), Type.Literal('>='), Type.Literal('<'), Type.Literal('<=')]),
    threshold: Type.Number(),
    window_hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366 })),
    severity: Severity,
    for_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400, description: 'The condition must hold this long before the alert fires.' })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type AlertRule = Static<typeof AlertRuleSchema>;

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
    monitoring: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Log every prediction (inputs, outputs, latency) to the prediction log.' }),
        log_inputs: Type.Boolean({ description: 'Keep request inputs in the log (drift and data quality need them).' }),
        max_logged_input_bytes: Type.Integer({ minimum: 64, description: 'Inputs larger than this (as JSON) are logged as a size note only.' }),
        flush_interval_ms: Type.Integer({ minimum: 10, maximum: 60_000, description: 'A logged prediction reaches the database at most this long after its response (plus one write).' }),
        flush_max_rows: Type.Integer({ minimum: 1, maximum: 100_000, description: 'Rows per database write.' }),
        max_queue_rows: Type.Integer({ minimum: 1, description: 'Predictions held in memory waiting for the database.' }),
        overload: Type.Union([Type.Literal('drop'), Type.Literal('block')], {
          description: 'When the queue is full: drop (count it, answer at once) or block the response up to block_timeout_ms, then drop.',
        }),
        block_timeout_ms: Type.Integer({ minimum: 0, maximum: 60_000 }),
        retention_days: Type.Number({ minimum: 0, description: 'Delete predictions (and their feedback) older than this; 0 keeps them forever.' }),
        window_hours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366, description: 'Default window of summaries, drift and alert rules.' }),
        max_window_rows: Type.Integer({ minimum: 100, description: 'Newest predictions read per window (summaries and drift say when they sampled).' }),
        reference_sample: Type.Integer({ minimum: 100, maximum: 10_000_000, description: 'Numeric reference columns keep at most this many quantile points.' }),
        evaluate_every_seconds: Type.Integer({ minimum: 1, maximum: 86_400, description: 'How often `berth serve` evaluates alert rules.' }),
        min_samples: Type.Integer({ minimum: 1, description: 'Fewest labelled predictions (or requests) before a rule on a rate is evaluated.' }),
        drift: Type.Object(
          {
            share: Type.Number({ minimum: 0, maximum: 1, description: 'Dataset drift when this share of features drifted.' }),
            correction: Type.Union([Type.Literal('none'), Type.Literal('bonferroni'), Type.Literal('bh')]),
            min_current_rows: Type.Integer({ minimum: 1, description: 'Fewer current rows than this: drift is not computed.' }),
          },
          { additionalProperties: false },
        ),
        default_rules: Type.Boolean({ description: 'Apply the built-in rules (accuracy drop, error rate, p99 latency, drift) to every model.' }),
        rules: Type.Array(AlertRuleSchema, { description: 'Alert rules; more can be created through the API.' }),
        webhooks: Type.Array(
          Type.Object(
            {
              url: Type.String({ pattern: '^https?://' }),
              secret: Type.Optional(Type.String({ minLength: 1, description: 'HMAC-SHA256 key: X-Berth-Signature: sha256=<hex of body>.' })),
              min_severity: Type.Optional(Severity),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    pipelines: Type.Object(
      {
        files: Type.Array(Type.String({ minLength: 1 }), {
          description: 'Pipeline files whose `schedule` runs inside `berth serve` (relative paths resolve against the home).',
        }),
        concurrency: Type.Integer({ minimum: 1, maximum: 64, description: 'Steps one process executes at once.' }),
        executor: Type.Union([Type.Literal('auto'), Type.Literal('inprocess'), Type.Literal('pg-boss')], {
          description: 'auto: pg-boss on Postgres (any `berth worker` or `berth serve` takes steps), in-process on SQLite.',
        }),
        serve_works: Type.Boolean({ description: 'On pg-boss, `berth serve` also executes steps (set false to leave them to `berth worker`).' }),
        stale_seconds: Type.Integer({ minimum: 5, maximum: 86_400, description: 'A step whose executor has not reported for this long is failed as orphaned.' }),
      },
      { additionalProperties: false },
    ),
    retraining: Type.Object(
      {
        enabled: Type.Boolean({ description: 'Evaluate retraining policies inside `berth serve`.' }),
        evaluate_every_seconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
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
  monitoring: {
    enabled: true,
    log_inputs: true,
    max_logged_input_bytes: 64 * 1024,
    flush_interval_ms: 20,
    flush_max_rows: 5000,
    max_queue_rows: 100_000,
    overload: 'drop',
    block_timeout_ms: 100,
    retention_days: 30,
    window_hours: 24,
    max_window_rows: 200_000,
    reference_sample: 10_000,
    evaluate_every_seconds: 60,
    min_samples: 30,
    drift: { share: 0.5, correction: 'none', min_current_rows: 30 },
    default_rules: true,
    rules: [],
    webhooks: [],
  },
  pipelines: { files: [], concurrency: 2, executor: 'auto', serve_works: true, stale_seconds: 60 },
  retraining: { enabled: true, evaluate_every_seconds: 60 },
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
  BERTH_MONITORING_ENABLED: 'monitoring.enabled',
  BERTH_FLUSH_INTERVAL_MS: 'monitoring.flush_interval_ms',
  BERTH_RETENTION_DAYS: 'monitoring.retention_days',
  BERTH_EVALUATE_EVERY_SECONDS: 'monitoring.evaluate_every_seconds',
  BERTH_PIPELINE_EXECUTOR: 'pipelines.executor',
  BERTH_PIPELINE_STALE_SECONDS: 'pipelines.stale_seconds',
  BERTH_PIPELINE_SERVE_WORKS: 'pipelines.serve_works',
  BERTH_RETRAIN_EVERY_SECONDS: 'retraining.evaluate_every_seconds',
};
