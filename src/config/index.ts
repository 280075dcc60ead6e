export { AlertRuleSchema, ConfigSchema, DEFAULTS, ENV_KEYS, Severity, type AlertRule, type Config } from './schema.js';
export { loadConfig, describeConfig, sqliteFile, artifactsPath, type LoadConfigOptions, type LoadedConfig } from './load.js';
export { BERTH_VERSION } from './version.js';
