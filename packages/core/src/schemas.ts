// `@mcpmux/core/schemas`: the id rules as zod schemas, to compose into other schemas. The root entry
// checks the same rules without zod (`checkSlug`, `checkAlias`); ids.test.ts holds the two equal.
import { z } from 'zod';
import {
  ALIAS_MAX_LENGTH,
  ALIAS_PATTERN,
  ALIAS_PATTERN_MESSAGE,
  SLUG_MAX_LENGTH,
  SLUG_PATTERN,
  SLUG_PATTERN_MESSAGE,
} from './ids.js';

/**
 * A slug id: lowercase ASCII letters, digits and `-`, starting with a letter or digit, at most 64
 * characters. Used for Spaces, servers, clients and custom FeatureSets.
 */
export const SlugSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(SLUG_MAX_LENGTH, `must be at most ${SLUG_MAX_LENGTH} characters`)
  .regex(SLUG_PATTERN, SLUG_PATTERN_MESSAGE);

/** An installation alias, the prefix of exposed tool names: `[a-z0-9-]`, at most 24 characters. */
export const AliasSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(ALIAS_MAX_LENGTH, `must be at most ${ALIAS_MAX_LENGTH} characters`)
  .regex(ALIAS_PATTERN, ALIAS_PATTERN_MESSAGE);
