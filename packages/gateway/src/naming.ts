/**
 * `@mcpmux/gateway/naming`: the gateway's naming rule alone (DESIGN §6), for tools that preview what
 * a client will see (a CLI's `tools`, a console) without loading the gateway or the MCP SDK. It loads
 * nothing else (`node:crypto` only to shorten a name over 64 characters).
 */
export { exposedName, MAX_EXPOSED_NAME_LENGTH } from './internal/naming.js';
