import { z } from 'zod';

/**
 * A slug id: lowercase ASCII letters, digits and `-`, starting with a letter or digit, at most 64
 * characters. Used for Spaces, servers, clients and custom FeatureSets.
 */
export const SlugSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and "-" (start with a letter or digit)');

/** See {@link SlugSchema}. */
export type Slug = z.infer<typeof SlugSchema>;

/** The maximum length of an installation alias (the tool-name prefix). */
export const ALIAS_MAX_LENGTH = 24;

/** An installation alias, the prefix of exposed tool names: `[a-z0-9-]`, at most 24 characters. */
export const AliasSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(ALIAS_MAX_LENGTH, `must be at most ${ALIAS_MAX_LENGTH} characters`)
  .regex(/^[a-z0-9-]+$/, 'use lowercase letters, digits and "-"');

/** See {@link AliasSchema}. */
export type Alias = z.infer<typeof AliasSchema>;
