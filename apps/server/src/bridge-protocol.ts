import { z } from 'zod';

/** The protocol a bridge names in its hello line on `<home>/gateway.sock`. */
export const BRIDGE_PROTOCOL = 'bridge/1';

/** The longest hello line the gateway reads, newline included: 4 KiB. */
export const MAX_BRIDGE_HELLO_BYTES = 4096;

/**
 * The one line a bridge writes first on a connection to the gateway's Unix socket:
 * `{"mcpmux":"bridge/1","client":"<CLIENT ID>"}\n`. Extra keys are ignored.
 */
export const BridgeHelloSchema = z.object({
  /** The protocol, {@link BRIDGE_PROTOCOL}. */
  mcpmux: z.literal(BRIDGE_PROTOCOL),
  /** The client the session acts for (the same policy as over HTTP). */
  client: z.string().min(1).max(256),
});

/** The bridge's hello line; see {@link BridgeHelloSchema}. */
export type BridgeHello = z.infer<typeof BridgeHelloSchema>;

/**
 * The one line the gateway answers a hello with. After `{"ok":true,...}` both directions carry
 * newline-delimited JSON-RPC, one message per line, as MCP stdio does; after `{"ok":false,...}` the
 * gateway closes the connection. Error codes: `NOT_FOUND` (no such client), `INVALID_INPUT` (a
 * malformed, over-long or late hello, or another protocol), `FORBIDDEN` (the client or the gateway
 * is at its session cap), `INTERNAL`.
 */
export const BridgeReplySchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The gateway's version. */
    version: z.string(),
  }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      /** An mcpmux error code (`NOT_FOUND`, `INVALID_INPUT`, `FORBIDDEN`, `INTERNAL`). */
      code: z.string(),
      /** What happened and what to do, for people. */
      message: z.string(),
    }),
  }),
]);

/** The gateway's answer to a hello; see {@link BridgeReplySchema}. */
export type BridgeReply = z.infer<typeof BridgeReplySchema>;
