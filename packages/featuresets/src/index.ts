// The full entry: everything of the zod-free `./resolver.ts` (`@mcpmux/featuresets/resolver`, the same
// functions from the same modules) plus the zod schemas, for validating untrusted input.
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
export {
  type Explanation,
  ExplanationSchema,
  type Feature,
  type FeatureAnnotations,
  FeatureAnnotationsSchema,
  type FeatureKind,
  FeatureKindSchema,
  type FeatureRef,
  FeatureRefSchema,
  FeatureSchema,
  type FeatureSet,
  type FeatureSetKind,
  FeatureSetKindSchema,
  FeatureSetSchema,
  type Member,
  type MemberMode,
  MemberModeSchema,
  MemberSchema,
  type ResolveInput,
  ResolveInputSchema,
  type Selector,
  SelectorSchema,
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
