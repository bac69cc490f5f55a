import { McpmuxError } from '@mcpmux/core';
import { isFeatureKind, selectorIssue } from './internal/selector-check.js';
import type { Selector } from './schemas.js';

/**
 * The accepted selector forms of {@link parseSelector}, as listed in its errors (for help texts).
 *
 * @example
 * ```ts
 * console.log(`selectors: ${SELECTOR_FORMS.join(' | ')}`);
 * ```
 */
export const SELECTOR_FORMS: readonly string[] = [
  'tool:SERVER/NAME',
  'prompt:SERVER/NAME',
  'resource:SERVER/URI',
  'server:SERVER',
  'server:SERVER:KIND',
  'set:ID',
  'readonly',
  'destructive',
  'annotation:any',
  'annotation:readOnly=BOOL',
  'annotation:destructive=BOOL',
  'annotation:readOnly=BOOL,destructive=BOOL',
];

function fail(input: string, reason: string): never {
  throw new McpmuxError(
    'INVALID_INPUT',
    `selector "${input}": ${reason}. Accepted forms: ${SELECTOR_FORMS.join(', ')} ` +
      '(KIND is tool, prompt or resource; BOOL is true or false; SERVER and NAME may hold * and ? globs; ' +
      'SERVER has no "/" or ":").',
    { data: { field: 'selector', forms: SELECTOR_FORMS } },
  );
}

function checkServer(input: string, server: string): string {
  if (server === '') fail(input, 'the server is empty');
  if (server.includes(':')) fail(input, 'the server contains ":"');
  return server;
}

function parseBool(input: string, text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  return fail(input, `"${text}" is not true or false`);
}

function parseAnnotation(input: string, body: string): Selector {
  if (body === 'any') return { type: 'annotation' };
  const parts = body.split(',');
  const selector: { type: 'annotation'; readOnly?: boolean; destructive?: boolean } = { type: 'annotation' };
  let seenDestructive = false;
  for (const part of parts) {
    const eq = part.indexOf('=');
    const field = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0) fail(input, `"${part}" is not FIELD=BOOL`);
    const value = parseBool(input, part.slice(eq + 1));
    if (field === 'readOnly' && selector.readOnly === undefined && !seenDestructive)
      selector.readOnly = value;
    else if (field === 'destructive' && !seenDestructive) {
      selector.destructive = value;
      seenDestructive = true;
    } else {
      fail(input, 'list readOnly first, then destructive, each at most once');
    }
  }
  const canonical = formatSelector(selector);
  if (canonical !== input) fail(input, `write it as "${canonical}"`);
  return selector;
}

/**
 * Parses the CLI selector syntax (DESIGN §7) into a {@link Selector}:
 *
 * | text | selector |
 * |---|---|
 * | `tool:SERVER/NAME`, `prompt:SERVER/NAME`, `resource:SERVER/URI` | `{ type: 'feature', kind, server, name }` (split at the first `/`) |
 * | `server:SERVER` / `server:SERVER:KIND` | `{ type: 'server', server }` / `{ type: 'server', server, kind }` |
 * | `set:ID` | `{ type: 'featureSet', id }` (ID may contain `:`, e.g. `set:server-all:github`) |
 * | `readonly` / `destructive` | `{ type: 'annotation', readOnly: true }` / `{ type: 'annotation', destructive: true }` |
 * | `annotation:any` | `{ type: 'annotation' }` (every tool) |
 * | `annotation:readOnly=BOOL,destructive=BOOL` (either or both, in this order) | `{ type: 'annotation', ... }` |
 *
 * Only the canonical spelling is accepted (the one {@link formatSelector} prints), so
 * `formatSelector(parseSelector(s)) === s` for every accepted `s` and
 * `parseSelector(formatSelector(sel))` deep-equals every valid `sel`. Text is taken as is (no trimming).
 *
 * @param text - the selector text
 * @returns the selector
 * @throws McpmuxError `INVALID_INPUT` (with `data.field = 'selector'`) naming the accepted forms
 * @example
 * ```ts
 * parseSelector('tool:github/delete_?*'); // { type: 'feature', kind: 'tool', server: 'github', name: 'delete_?*' }
 * ```
 */
export function parseSelector(text: string): Selector {
  if (typeof text !== 'string') fail(String(text), 'not a string');
  if (text === 'readonly') return { type: 'annotation', readOnly: true };
  if (text === 'destructive') return { type: 'annotation', destructive: true };
  const colon = text.indexOf(':');
  if (colon < 0) fail(text, 'unknown selector');
  const head = text.slice(0, colon);
  const body = text.slice(colon + 1);
  switch (head) {
    case 'tool':
    case 'prompt':
    case 'resource': {
      const slash = body.indexOf('/');
      if (slash < 0) fail(text, `expected ${head}:SERVER/${head === 'resource' ? 'URI' : 'NAME'}`);
      const server = checkServer(text, body.slice(0, slash));
      const name = body.slice(slash + 1);
      if (name === '') fail(text, 'the name is empty');
      return { type: 'feature', kind: head, server, name };
    }
    case 'server': {
      if (body.includes('/')) fail(text, 'the server contains "/"');
      const second = body.indexOf(':');
      if (second < 0) return { type: 'server', server: checkServer(text, body) };
      const server = checkServer(text, body.slice(0, second));
      const kind = body.slice(second + 1);
      if (!isFeatureKind(kind)) fail(text, `"${kind}" is not tool, prompt or resource`);
      return { type: 'server', server, kind };
    }
    case 'set':
      if (body === '') fail(text, 'the set id is empty');
      return { type: 'featureSet', id: body };
    case 'annotation':
      return parseAnnotation(text, body);
    default:
      return fail(text, `unknown selector type "${head}"`);
  }
}

/**
 * Prints a selector in the CLI syntax of {@link parseSelector}; the exact inverse of it.
 *
 * @param selector - a valid selector (see {@link SelectorSchema})
 * @returns the canonical text, e.g. `tool:github/create_issue`, `server:github:tool`, `readonly`
 * @throws McpmuxError `INVALID_INPUT` when `selector` is not valid (e.g. a server containing `/`)
 * @example
 * ```ts
 * formatSelector({ type: 'annotation', readOnly: true }); // 'readonly'
 * ```
 */
export function formatSelector(selector: Selector): string {
  // The first issue SelectorSchema would report, checked without zod (selector-check.test.ts).
  const issue = selectorIssue(selector);
  if (issue !== undefined) {
    const field = ['selector', ...issue.path].join('.');
    throw new McpmuxError('INVALID_INPUT', `${field}: ${issue.message}`, { data: { field } });
  }
  switch (selector.type) {
    case 'feature':
      return `${selector.kind}:${selector.server}/${selector.name}`;
    case 'server':
      return selector.kind === undefined
        ? `server:${selector.server}`
        : `server:${selector.server}:${selector.kind}`;
    case 'featureSet':
      return `set:${selector.id}`;
    case 'annotation': {
      const { readOnly, destructive } = selector;
      if (readOnly === true && destructive === undefined) return 'readonly';
      if (destructive === true && readOnly === undefined) return 'destructive';
      const parts: string[] = [];
      if (readOnly !== undefined) parts.push(`readOnly=${readOnly}`);
      if (destructive !== undefined) parts.push(`destructive=${destructive}`);
      return parts.length === 0 ? 'annotation:any' : `annotation:${parts.join(',')}`;
    }
  }
}
