export {
  ERROR_CODES,
  type ErrorCode,
  isMcpmuxError,
  McpmuxError,
  type McpmuxErrorOptions,
} from './errors.js';
export { ALIAS_MAX_LENGTH, type Alias, AliasSchema, type Slug, SlugSchema } from './ids.js';
export { isSqliteBusy, type RetrySyncOptions, retrySync } from './retry.js';
export {
  type SqlConnection,
  type SqlDatabase,
  type SqlDialect,
  type SqlParams,
  toPostgresPlaceholders,
  type WatchCommitsOptions,
} from './sql.js';
export { parseOrThrow } from './validate.js';
