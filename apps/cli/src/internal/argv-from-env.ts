// The argv-from-env launcher lives in `@mcpmux/server/operations` with the catalog that uses it.
export { ARGV_FROM_ENV_LABEL, ARGV_FROM_ENV_SCRIPT, argvFromEnv } from '@mcpmux/server/operations';
