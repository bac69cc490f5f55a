// Preloaded (`node --import ./loopback.mjs ...`) into peers that have no host option and bind every
// interface by default (supergateway, mcp-hub, server-everything's streamableHttp mode): any
// listen() without an explicit host is pinned to 127.0.0.1. run.mjs verifies the bound address in
// /proc/net/tcp after start-up, so a peer that escapes this is caught, not trusted.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (
    first !== null &&
    typeof first === 'object' &&
    !Array.isArray(first) &&
    first.path === undefined
  ) {
    if (first.host === undefined) args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
