export { loadConfig, ConfigError } from './load-config.js';
export { configSpec, type Config, type Settings, type Setting } from './config-spec.js';
