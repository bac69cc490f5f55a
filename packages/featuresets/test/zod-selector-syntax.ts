// The selector syntax as it was before `@mcpmux/featuresets/resolver` (commit 1827012): the same code,
// checking kinds and selectors with the zod schemas. Kept as the reference that the zod-free
// parseSelector / formatSelector must answer exactly like (selector-syntax-zod.test.ts).
import { McpmuxError } from '@mcpmux/core';
import { FeatureKindSchema, type Selector, SelectorSchema } from '../src/schemas.js';
import { SELECTOR_FORMS } from '../src/selector-syntax.js';

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
  const canonical = zodFormatSelector(selector);
  if (canonical !== input) fail(input, `write it as "${canonical}"`);
  return selector;
}

/** `parseSelector` of commit 1827012 (zod). */
export function zodParseSelector(text: string): Selector {
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
      const kind = FeatureKindSchema.safeParse(body.slice(second + 1));
      if (!kind.success) fail(text, `"${body.slice(second + 1)}" is not tool, prompt or resource`);
      return { type: 'server', server, kind: kind.data };
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

/** `formatSelector` of commit 1827012 (zod). */
export function zodFormatSelector(selector: Selector): string {
  const checked = SelectorSchema.safeParse(selector);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = ['selector', ...(issue?.path.map(String) ?? [])].join('.');
    throw new McpmuxError('INVALID_INPUT', `${field}: ${issue?.message ?? 'invalid selector'}`, {
      data: { field },
    });
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
