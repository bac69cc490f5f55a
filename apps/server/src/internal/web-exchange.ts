/**
 * The bridge between Node's HTTP objects and the web `Request`/`Response` of the MCP SDK's
 * per-request (2026-07-28) serving: the HTTP layer reads, limits and checks the body itself, then
 * hands one exchange over and streams the answer back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const ENVELOPE_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';

/**
 * True when a JSON-RPC message claims a 2026-07-28 (or later) revision by its per-request `_meta`
 * envelope: such a message carries everything it needs and belongs to no session.
 */
export function claimsModernEra(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const params = (message as { params?: unknown }).params;
  if (typeof params !== 'object' || params === null) return false;
  const meta = (params as { _meta?: unknown })._meta;
  if (typeof meta !== 'object' || meta === null) return false;
  return typeof (meta as Record<string, unknown>)[ENVELOPE_VERSION_KEY] === 'string';
}

/**
 * The web `Request` for one exchange: Node's method, URL and headers, the body already read (as
 * text) and a signal that aborts when the client goes away (the 2026-07-28 cancellation).
 */
export function toWebRequest(req: IncomingMessage, body: string, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  headers.delete('content-length'); // the body is re-encoded below; fetch sets it
  const host = req.headers.host ?? '127.0.0.1';
  return new Request(`http://${host}${req.url ?? '/'}`, {
    method: req.method ?? 'POST',
    headers,
    body,
    signal,
  });
}

/**
 * Writes a web `Response` to Node's response: status, headers, then the body as it arrives (a JSON
 * document or an SSE stream). Stops reading the body when the client goes away.
 */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  });
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const stop = (): void => {
    reader.cancel().catch(() => undefined);
  };
  res.on('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      }
      if (res.destroyed) break;
    }
  } catch {
    // the client went away or the handler's stream failed: nothing more to send
  } finally {
    res.off('close', stop);
    res.end();
  }
}
