export { ConfigSchema, DEFAULTS, ENV_KEYS, type Config } from './schema.js';
export { loadConfig, describeConfig, sqliteFile, artifactsPath, type LoadConfigOptions, type LoadedConfig } from './load.js';
export { BERTH_VERSION } from './version.js';
