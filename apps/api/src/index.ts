export { buildApp, REDACT_PATHS, type BuildAppOptions } from './app';
export { ApiError } from './errors';
export { JobEventHub } from './plugins/redis';
