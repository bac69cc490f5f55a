import { assertValidFeatureSets, type FeatureSet, formatSelector, parseSelector } from '@mcpmux/featuresets';

// The CLI selector syntax, both ways.
export const selector = parseSelector('tool:*/*delete*');
// { type: 'feature', kind: 'tool', server: '*', name: '*delete*' }
export const text = formatSelector({ type: 'annotation', readOnly: true });
// 'readonly'

// Writers check a Space's sets before storing them.
const sets: FeatureSet[] = [
  { id: 'a', name: 'A', kind: 'custom', members: [{ mode: 'include', selector: parseSelector('set:b') }] },
  { id: 'b', name: 'B', kind: 'custom', members: [{ mode: 'include', selector: parseSelector('set:a') }] },
];
export let refusal = '';
try {
  assertValidFeatureSets(sets);
} catch (error) {
  refusal = (error as Error).message;
  // 'FeatureSets form a cycle: a -> b -> a. Remove one of these set members.' (a CONFLICT McpmuxError)
}
