/**
 * `@mcpmux/featuresets/resolver`: everything of `@mcpmux/featuresets` except the zod schemas, so that
 * importing it loads no zod (~100 ms less for a short-lived command such as `mcpmux tools`). Resolving,
 * diffing, fingerprints, feature keys, set validation and the selector syntax are all here, with every
 * type. Use the root entry when validating untrusted JSON with the schemas (`FeatureSetSchema`,
 * `ResolveInputSchema`, ...); its other exports are these very functions.
 *
 * Nothing reachable from this module imports zod at run time (types only, via `import type`);
 * resolver-entry.test.ts checks the built file.
 *
 * @example
 * ```ts
 * import { parseSelector, resolve } from '@mcpmux/featuresets/resolver';
 * ```
 *
 * @packageDocumentation
 */
export { diffResolutions, fingerprint, type ResolutionDiff } from './diff.js';
export { compareFeatures, featureKey } from './feature-key.js';
export {
  type CompiledFeatureSets,
  compileFeatureSets,
  createResolver,
  type Resolution,
  type ResolveInputData,
  type Resolver,
  resolve,
} from './resolve.js';
export type {
  Explanation,
  Feature,
  FeatureAnnotations,
  FeatureKind,
  FeatureRef,
  FeatureSet,
  FeatureSetKind,
  Member,
  MemberMode,
  ResolveInput,
  Selector,
} from './schemas.js';
export { formatSelector, parseSelector, SELECTOR_FORMS } from './selector-syntax.js';
export {
  assertValidFeatureSets,
  type CycleProblem,
  type DuplicateMemberProblem,
  type DuplicateSetIdProblem,
  type FeatureSetProblem,
  findCycle,
  type ServerAllWithoutServerProblem,
  type UnknownSetProblem,
  validateFeatureSets,
} from './validate.js';
