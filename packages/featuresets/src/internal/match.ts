import type { Feature, Selector } from '../schemas.js';
import { compileGlob } from './glob.js';

/** The effective `[readOnly, destructive]` of a tool, per the MCP spec defaults. */
export function effectiveHints(feature: Feature): readonly [readOnly: boolean, destructive: boolean] {
  const readOnly = feature.annotations?.readOnlyHint ?? false;
  const destructive = readOnly ? false : (feature.annotations?.destructiveHint ?? true);
  return [readOnly, destructive];
}

/** True when an `annotation` selector with these fields takes a tool with these effective hints. */
export function annotationAccepts(
  selector: { readOnly?: boolean; destructive?: boolean },
  readOnly: boolean,
  destructive: boolean,
): boolean {
  return (
    (selector.readOnly === undefined || selector.readOnly === readOnly) &&
    (selector.destructive === undefined || selector.destructive === destructive)
  );
}

/**
 * True when a non-`featureSet` selector matches one feature. `featureSet` selectors match nothing
 * here (the walk handles them).
 */
export function selectorMatches(selector: Selector, feature: Feature): boolean {
  switch (selector.type) {
    case 'feature':
      return (
        selector.kind === feature.kind &&
        compileGlob(selector.server).test(feature.server) &&
        compileGlob(selector.name).test(feature.name)
      );
    case 'server':
      return (
        (selector.kind === undefined || selector.kind === feature.kind) &&
        compileGlob(selector.server).test(feature.server)
      );
    case 'annotation': {
      if (feature.kind !== 'tool') return false;
      const [readOnly, destructive] = effectiveHints(feature);
      return annotationAccepts(selector, readOnly, destructive);
    }
    case 'featureSet':
      return false;
  }
}

/** A string that names a selector uniquely (equal selectors, equal keys), for memo tables. */
export function selectorKey(selector: Selector): string {
  switch (selector.type) {
    case 'feature':
      return `f\0${selector.kind}\0${selector.server}\0${selector.name}`;
    case 'server':
      return `s\0${selector.kind ?? ''}\0${selector.server}`;
    case 'annotation':
      return `a\0${selector.readOnly ?? ''}\0${selector.destructive ?? ''}`;
    case 'featureSet':
      return `x\0${selector.id}`;
  }
}
