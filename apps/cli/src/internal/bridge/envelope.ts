// The one thing the bridge reads of a relayed message: its top-level `id` and `method`. A full
// JSON.parse would build every nested object of a large `tools/call` or `tools/list` answer only to
// throw it away; this scanner walks the top-level object once, skipping nested values byte by byte.

/** The top-level `id` and `method` of one JSON-RPC line, as far as the bridge needs them. */
export interface Envelope {
  /** The `id` as sent (string or number), when the line has a string or number `id`. */
  id?: string | number;
  /** The `method`, when the line has a string `method`. */
  method?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function skipSpace(buf: Uint8Array, i: number): number {
  while (i < buf.length && isSpace(buf[i])) i++;
  return i;
}

/** The index just past the string that starts at `i` (a quote), or -1 when it does not end. */
function skipString(buf: Uint8Array, i: number): number {
  for (let j = i + 1; j < buf.length; j++) {
    const b = buf[j];
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j + 1;
  }
  return -1;
}

/** The index just past the value that starts at `i`, or -1 when it does not end. */
function skipValue(buf: Uint8Array, i: number): number {
  const first = buf[i];
  if (first === QUOTE) return skipString(buf, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < buf.length; j++) {
      const b = buf[j];
      if (b === QUOTE) {
        j = skipString(buf, j);
        if (j === -1) return -1;
        j--;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number or a literal (true, false, null).
  let j = i;
  while (j < buf.length && buf[j] !== COMMA && buf[j] !== CLOSE_BRACE && !isSpace(buf[j])) j++;
  return j === i ? -1 : j;
}

/** The key between `start` and `end` (quotes included), when it is `id` or `method`. */
function knownKey(buf: Uint8Array, start: number, end: number): 'id' | 'method' | undefined {
  const length = end - start - 2;
  if (length > 48) return undefined;
  let plain = true;
  for (let k = start + 1; k < end - 1; k++) if (buf[k] === BACKSLASH) plain = false;
  const key = plain
    ? String.fromCharCode(...buf.subarray(start + 1, end - 1))
    : (decode(buf, start, end) as string | undefined);
  return key === 'id' || key === 'method' ? key : undefined;
}

function decode(buf: Uint8Array, start: number, end: number): unknown {
  try {
    return JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Reads the top-level `id` and `method` of one line of newline-delimited JSON-RPC without parsing
 * the rest. Nested values are skipped, never decoded; only the two values themselves are.
 *
 * @param line - one message, without its newline.
 * @returns the envelope, or `undefined` when the line is not a JSON object (a batch, garbage, a cut
 *   line): the bridge then forwards it untracked and the gateway answers it.
 * @example
 * ```ts
 * readEnvelope(Buffer.from('{"jsonrpc":"2.0","id":7,"method":"tools/list"}'));
 * // { id: 7, method: 'tools/list' }
 * ```
 */
export function readEnvelope(line: Uint8Array): Envelope | undefined {
  let i = skipSpace(line, 0);
  if (line[i] !== OPEN_BRACE) return undefined;
  i = skipSpace(line, i + 1);
  const out: Envelope = {};
  if (line[i] === CLOSE_BRACE) return out;
  for (;;) {
    if (line[i] !== QUOTE) return undefined;
    const keyStart = i;
    const keyEnd = skipString(line, i);
    if (keyEnd === -1) return undefined;
    i = skipSpace(line, keyEnd);
    if (line[i] !== COLON) return undefined;
    i = skipSpace(line, i + 1);
    const valueEnd = skipValue(line, i);
    if (valueEnd === -1) return undefined;
    const key = knownKey(line, keyStart, keyEnd);
    if (key === 'id') {
      const id = decode(line, i, valueEnd);
      if (typeof id === 'string' || typeof id === 'number') out.id = id;
      else delete out.id;
    } else if (key === 'method') {
      const method = decode(line, i, valueEnd);
      if (typeof method === 'string') out.method = method;
      else delete out.method;
    }
    i = skipSpace(line, valueEnd);
    if (line[i] === CLOSE_BRACE) return out;
    if (line[i] !== COMMA) return undefined;
    i = skipSpace(line, i + 1);
  }
}

/**
 * The key under which the bridge tracks a request id: numbers and strings never collide, and
 * `1` and `1.0` are the same id (a JSON number is a number, however it is spelled).
 *
 * @param id - a JSON-RPC request id.
 */
export function idKey(id: string | number): string {
  return typeof id === 'number' ? `n:${id}` : `s:${id}`;
}
