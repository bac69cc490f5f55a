/**
 * A transport wrapper that answers requests with invalid params itself (one clear -32602 line, see
 * `request-schema.ts`) before the SDK's server sees them; everything else passes through untouched.
 */
import type {
  JSONRPCMessage,
  MessageExtraInfo,
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/server';
import { invalidParamsAnswer } from '../request-schema.js';

/**
 * Wraps `inner` so that the SDK's server behind it never dispatches a request with invalid params.
 *
 * @param inner - the downstream connection's transport (stdio, the gateway socket, an HTTP session).
 * @param closed - called once `inner` closes, whether or not a server was ever attached to it (a
 *   connection that closes before its opening message has none).
 * @returns a transport to hand to the SDK in its place; closing it closes `inner`.
 */
export function checkedTransport(inner: Transport, closed?: () => void): Transport {
  const outer: Transport = {
    start: () => inner.start(),
    send: (message: JSONRPCMessage, options?: TransportSendOptions) => inner.send(message, options),
    close: () => inner.close(),
  };
  inner.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
    const answer = invalidParamsAnswer(message);
    if (answer === undefined) outer.onmessage?.(message, extra);
    else void inner.send(answer as unknown as JSONRPCMessage).catch(() => undefined);
  };
  inner.onclose = () => {
    closed?.();
    outer.onclose?.();
  };
  inner.onerror = (error: Error) => outer.onerror?.(error);
  Object.defineProperty(outer, 'sessionId', { get: () => inner.sessionId, enumerable: true });
  if (inner.setProtocolVersion !== undefined) {
    outer.setProtocolVersion = (version: string) => inner.setProtocolVersion?.(version);
  }
  return outer;
}
