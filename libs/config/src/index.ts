export { parseOptions, redact } from './parse.js';
export { loadConfig, serviceConfigSchema } from './service-config.js';
export type { LoadConfigInput, ServiceConfig, ServiceConfigInput } from './service-config.js';
export { configFromEnv, merge, readConfigFile, setPath } from './sources.js';
