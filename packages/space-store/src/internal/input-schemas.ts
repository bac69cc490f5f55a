// The zod schemas the store parses its method arguments with, in one module that the engine loads on
// first use (`internal/validation.ts`), so that opening a store and reading from it load no zod.
import { SlugSchema } from '@mcpmux/core/schemas';
import { z } from 'zod';
import { AuditEventInputSchema, DiscoveredFeatureSchema } from '../types.js';
import { SET_ID_MAX_LENGTH, SET_ID_PATTERN, SET_ID_PATTERN_MESSAGE } from './rules/input.js';

export {
  AuthorizationCodeInputSchema,
  CodeExchangeInputSchema,
  OAuthClientInputSchema,
} from '../oauth-types.js';
export {
  AuditFilterSchema,
  AuditRetentionSchema,
  ClientInputSchema,
  ClientPatchSchema,
  FeatureSetInputSchema,
  FeatureSetPatchSchema,
  InstallationPatchSchema,
  InstallOptionsSchema,
  InstallServerInputSchema,
  ListDiscoveredOptionsSchema,
  RotateKeyOptionsSchema,
  ServerDefinitionInputSchema,
  ServerDefinitionPatchSchema,
  SpaceInputSchema,
  SpacePatchSchema,
} from '../types.js';
export { MemberSchema } from './featureset-shapes.js';

/** A Space, server or client id (checked without zod by `checkId`; this is for composing). */
export const IdSchema = SlugSchema;

/** A FeatureSet id: `all`, `default`, `server-all:<server>` or a custom slug (see `checkSetId`). */
export const SetIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(SET_ID_MAX_LENGTH, `must be at most ${SET_ID_MAX_LENGTH} characters`)
  .regex(SET_ID_PATTERN, SET_ID_PATTERN_MESSAGE);

/** The features of one `replaceDiscovered` call. */
export const FeaturesSchema = z.array(DiscoveredFeatureSchema).max(100_000, 'at most 100000 features');

/** The events of one `appendAudit` call. */
export const AuditEventsSchema = z.array(AuditEventInputSchema);
