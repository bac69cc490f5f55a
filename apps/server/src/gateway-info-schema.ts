import { z } from 'zod';

/**
 * {@link GatewayInfo} (what a running gateway writes to `<home>/gateway.json`) as a zod schema, for
 * tools that validate the file themselves. Unknown keys are ignored, so newer gateways may add fields.
 */
export const GatewayInfoSchema = z.object({
  /** The gateway's process id. */
  pid: z.int().positive(),
  /** The Streamable HTTP endpoint, `http://HOST:PORT/mcp`. */
  url: z.string().min(1),
  /** Absolute path of the gateway's Unix domain socket (`<home>/gateway.sock`). */
  socket: z.string().min(1),
  /** The gateway's version (`@mcpmux/server`). */
  version: z.string(),
  /** When the gateway started listening, ISO-8601. */
  startedAt: z.iso.datetime({ offset: true }),
  /** Absolute path of the home the gateway serves. */
  home: z.string().min(1),
});
