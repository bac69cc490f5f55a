// The root entry loads no zod (a short-lived command pays for what it loads); the zod schemas of the
// id rules are in `@mcpmux/core/schemas`.
export {
  ERROR_CODES,
  type ErrorCode,
  isMcpmuxError,
  McpmuxError,
  type McpmuxErrorOptions,
} from './errors.js';
export {
  ALIAS_MAX_LENGTH,
  ALIAS_PATTERN,
  ALIAS_PATTERN_MESSAGE,
  type Alias,
  aliasProblem,
  checkAlias,
  checkSlug,
  receivedTypeName,
  SLUG_MAX_LENGTH,
  SLUG_PATTERN,
  SLUG_PATTERN_MESSAGE,
  type Slug,
  slugProblem,
} from './ids.js';
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
