import { checkSlug, receivedTypeName } from '@mcpmux/core';
import { invalid } from '../errors.js';

// The checks of the store's id and flag arguments, by hand (no zod): every read checks its ids, and a
// short-lived command should not load a schema library for that. The zod schemas of the same rules
// are in `../input-schemas.ts`; rules.test.ts holds the two equal.

/** Checks a Space, server or client id. @throws `INVALID_INPUT` naming `what`. */
export const checkId: (value: unknown, what: string) => string = checkSlug;

/** The maximum length of a FeatureSet id. */
export const SET_ID_MAX_LENGTH = 200;
/** The pattern of a FeatureSet id. */
export const SET_ID_PATTERN = /^(all|default|server-all:[a-z0-9][a-z0-9-]*|[a-z0-9][a-z0-9-]*)$/;
/** The rule a FeatureSet id breaks when it does not match {@link SET_ID_PATTERN}. */
export const SET_ID_PATTERN_MESSAGE = 'use `all`, `default`, `server-all:<server>` or a slug';

/** Checks a FeatureSet id: `all`, `default`, `server-all:<server>` or a custom slug. @throws `INVALID_INPUT` */
export function checkSetId(value: unknown, what: string): string {
  if (typeof value !== 'string') {
    throw invalid(what, `Invalid input: expected string, received ${receivedTypeName(value)}`);
  }
  if (value.length < 1) throw invalid(what, 'must not be empty');
  if (value.length > SET_ID_MAX_LENGTH && [...value].length > SET_ID_MAX_LENGTH) {
    throw invalid(what, `must be at most ${SET_ID_MAX_LENGTH} characters`);
  }
  if (!SET_ID_PATTERN.test(value)) throw invalid(what, SET_ID_PATTERN_MESSAGE);
  return value;
}

/** Checks a boolean argument (`setEnabled`). @throws `INVALID_INPUT` */
export function checkBool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') {
    throw invalid(what, `Invalid input: expected boolean, received ${receivedTypeName(value)}`);
  }
  return value;
}

/**
 * Checks the options of `listDiscovered` (a read: the CLI's `tools` runs it) as
 * `ListDiscoveredOptionsSchema` would, keeping only its two keys. @throws `INVALID_INPUT`
 */
export function checkListDiscoveredOptions(
  value: unknown,
  what: string,
): { serverId?: string; availableOnly?: boolean } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(what, `Invalid input: expected object, received ${receivedTypeName(value)}`);
  }
  const { serverId, availableOnly } = value as Record<string, unknown>;
  return {
    ...(serverId === undefined ? {} : { serverId: checkSlug(serverId, `${what}.serverId`) }),
    ...(availableOnly === undefined
      ? {}
      : { availableOnly: checkBool(availableOnly, `${what}.availableOnly`) }),
  };
}

/** The id of the `server-all` set of a server. */
export function serverAllSetId(serverId: string): string {
  return `server-all:${serverId}`;
}
