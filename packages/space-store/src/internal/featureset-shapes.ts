// The FeatureSet shapes of DESIGN.md §3.1 come from `@mcpmux/featuresets`, the single source of truth.
export {
  FeatureKindSchema,
  FeatureRefSchema,
  FeatureSchema,
  FeatureSetSchema,
  MemberSchema,
} from '@mcpmux/featuresets';
