import type { FeatureKind } from '../schemas.js';

/** Sort rank of each kind: tool, prompt, resource. */
export const KIND_ORDER: Readonly<Record<FeatureKind, number>> = { tool: 0, prompt: 1, resource: 2 };

/** The kinds in sort order. */
export const KINDS: readonly FeatureKind[] = ['tool', 'prompt', 'resource'];
