/**
 * Relay of upstream server->client requests (sampling, elicitation, roots) to the one caller whose
 * call caused them. Which caller that is comes from the upstream connection: the origin of its only
 * in-flight (or recently abandoned) calls; see `UpstreamConnection`.
 */
import { ProtocolErrorCode as ErrorCode, ProtocolError } from '@modelcontextprotocol/server';
import { isModernProtocolVersion } from '../protocol-version.js';
import type { DownstreamOrigin, RpcMessage, Upstream } from '../upstream/types.js';
import type { AskableCaller } from './caller.js';

/**
 * Answers an upstream's sampling, elicitation or roots request by asking the caller whose call
 * caused it, and nobody else. Fails closed (an error to the upstream, no client asked) when that
 * caller cannot be known (no call, or calls of several callers, in flight on the upstream), is gone
 * or left the upstream's Space, or did not declare the capability the method needs.
 *
 * @param find - the live caller of an origin (undefined: gone).
 * @throws `ProtocolError` InternalError when the origin is unknown, MethodNotFound when its caller cannot answer.
 */
export async function relayServerRequest(
  find: (origin: DownstreamOrigin) => AskableCaller | undefined,
  upstream: Upstream,
  request: RpcMessage,
  origin: DownstreamOrigin | undefined,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  if (origin === undefined) {
    throw new ProtocolError(
      ErrorCode.InternalError,
      `mcpmux cannot tell which client this ${request.method} request is for: it arrived outside a call, or while calls of several clients were in flight on server "${upstream.serverId}", so no client was asked. Send it while handling the call it serves; a call that failed this way can be retried.`,
    );
  }
  const target = find(origin);
  if (target !== undefined && !target.closed && isModernProtocolVersion(target.protocolVersion)) {
    throw new ProtocolError(
      ErrorCode.MethodNotFound,
      `The client whose call led to this ${request.method} request speaks MCP ${target.protocolVersion}, where a server cannot send requests to the client during a call (it answers with an input_required result instead, which this server, speaking MCP 2025, does not); no other client was asked.`,
    );
  }
  if (
    target === undefined ||
    target.closed ||
    target.spaceId !== upstream.spaceId ||
    !target.canAnswer(request.method)
  ) {
    throw new ProtocolError(
      ErrorCode.MethodNotFound,
      `The client whose call led to this ${request.method} request cannot answer it (it did not declare the capability, or its session ended or moved to another Space); no other client was asked.`,
    );
  }
  const message =
    request.params === undefined
      ? { method: request.method }
      : { method: request.method, params: request.params };
  return target.ask(message, signal);
}
