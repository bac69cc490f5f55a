/**
 * Where the gateway reports what it does (pino-compatible: structured data first, then the message).
 * Messages never contain secret values. The default logger discards everything (libraries never print).
 */
export interface GatewayLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/** A logger that discards everything. */
export const silentLogger: GatewayLogger = { debug: noop, info: noop, warn: noop, error: noop };
