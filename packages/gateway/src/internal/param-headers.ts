/**
 * `Mcp-Param-*` headers (MCP 2026-07-28, SEP-2243): a tool may mark primitive arguments with
 * `x-mcp-header` in its input schema, and clients then mirror those arguments into HTTP headers that
 * proxies can route on. A server must refuse a call whose headers are missing, badly encoded or
 * disagree with the body. The SDK does both only for its high-level classes (its own tools, its
 * `callTool`); the gateway serves and calls upstreams' tools, so it checks the headers of calls it
 * serves against the tool the client sees, and writes them on calls it forwards to HTTP upstreams.
 */

/** One argument a tool mirrors into a header. */
interface Declaration {
  path: readonly string[];
  header: string;
  type: string | undefined;
}

/** Why a call's headers and body disagree: the header and what was wrong. */
export interface ParamHeaderMismatch {
  header: string;
  message: string;
}

const HEADER_KEY = 'x-mcp-header';
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** The `x-mcp-header` declarations reachable from the schema's root through `properties` only. */
function declarations(schema: unknown, path: readonly string[] = [], out: Declaration[] = []): Declaration[] {
  if (typeof schema !== 'object' || schema === null) return out;
  const node = schema as Record<string, unknown>;
  const header = node[HEADER_KEY];
  if (path.length > 0 && typeof header === 'string' && TOKEN.test(header)) {
    out.push({ path, header, type: typeof node.type === 'string' ? node.type : undefined });
  }
  const properties = node.properties;
  if (typeof properties === 'object' && properties !== null) {
    for (const [key, child] of Object.entries(properties)) declarations(child, [...path, key], out);
  }
  return out;
}

/** How a primitive argument is written in a header; undefined for values that are not mirrored. */
function asHeaderText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) {
    return Number.isInteger(value) && !Number.isSafeInteger(value) ? undefined : String(value);
  }
  return undefined;
}

/** A header value as text: plain, or `=?base64?...?=` (UTF-8); undefined when badly encoded. */
function decode(value: string): string | undefined {
  if (!value.startsWith(SENTINEL_PREFIX) || !value.endsWith(SENTINEL_SUFFIX)) return value;
  const b64 = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  if (!CANONICAL_BASE64.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A value as a header carries it: as is when it is plain printable ASCII, else `=?base64?...?=`. */
function encode(text: string): string {
  const plain = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(text) && !text.startsWith(SENTINEL_PREFIX);
  return plain ? text : `${SENTINEL_PREFIX}${Buffer.from(text, 'utf8').toString('base64')}${SENTINEL_SUFFIX}`;
}

/**
 * The `Mcp-Param-*` headers a call of a tool must carry: one per `x-mcp-header` argument present.
 *
 * @param inputSchema - the tool's input schema, as the server declared it.
 * @param args - the call's `arguments`.
 * @returns header name -> value; empty when the tool declares none.
 */
export function paramHeadersFor(inputSchema: unknown, args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of declarations(inputSchema)) {
    const text = asHeaderText(valueAt(args, d.path));
    if (text !== undefined) out[`Mcp-Param-${d.header}`] = encode(text);
  }
  return out;
}

/**
 * Checks a `tools/call`'s `Mcp-Param-*` headers against the tool's `x-mcp-header` declarations.
 *
 * @param inputSchema - the input schema of the tool the client called, as the client was shown it.
 * @param args - the call's `arguments`.
 * @param headers - the HTTP request's headers.
 * @returns the first disagreement, or undefined when the headers match the body.
 */
export function paramHeaderMismatch(
  inputSchema: unknown,
  args: unknown,
  headers: Headers,
): ParamHeaderMismatch | undefined {
  for (const d of declarations(inputSchema)) {
    const header = `Mcp-Param-${d.header}`;
    const body = valueAt(args, d.path);
    const text = asHeaderText(body);
    if (text === undefined) continue;
    const name = d.path.join('.');
    const sent = headers.get(header);
    if (sent === null) {
      return {
        header,
        message: `the body carries ${name}=${JSON.stringify(body)} but the ${header} header is absent`,
      };
    }
    const decoded = decode(sent);
    if (decoded === undefined)
      return { header, message: `the ${header} header carries an invalid Base64 value` };
    const numeric =
      (d.type === 'integer' || d.type === 'number') && typeof body === 'number' && DECIMAL.test(decoded);
    if (numeric ? Number(decoded) !== body : decoded !== text) {
      return {
        header,
        message: `the ${header} header decodes to ${JSON.stringify(decoded)} but the body carries ${name}=${JSON.stringify(body)}`,
      };
    }
  }
  return undefined;
}
