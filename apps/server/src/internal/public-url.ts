// The URL clients use to reach the gateway when a load balancer or TLS proxy sits in front of it.
import { McpmuxError } from '@mcpmux/core';
import { hostHeaderName, isLoopbackHost } from './http-util.js';

/** A parsed public URL: what the Host and Origin checks and the OAuth metadata need from it. */
export interface PublicUrl {
  /** `scheme://host[:port]`, no trailing slash (the OAuth issuer; the resource is `${origin}/mcp`). */
  origin: string;
  /** The host name, lower-cased, IPv6 in brackets (what the `Host` header must name). */
  hostname: string;
  /** True when the host name is a loopback one (then it adds nothing to the loopback rules). */
  loopback: boolean;
}

/**
 * Parses `--public-url` (`MCPMUX_PUBLIC_URL`): an http or https URL with a host and no path, query,
 * fragment or credentials, e.g. `https://mcp.example.com`.
 *
 * @throws `INVALID_INPUT` naming the flag, with what to pass instead.
 * @example
 * ```ts
 * parsePublicUrl('https://mcp.example.com/').origin; // 'https://mcp.example.com'
 * ```
 */
export function parsePublicUrl(value: string): PublicUrl {
  const fail = (why: string): McpmuxError =>
    new McpmuxError(
      'INVALID_INPUT',
      `The public URL ${why}: pass the address clients use, e.g. --public-url https://mcp.example.com (or MCPMUX_PUBLIC_URL).`,
      { data: { field: 'publicUrl' } },
    );
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw fail('must start with https:// or http://');
  if (url.username !== '' || url.password !== '') throw fail('must not hold a user name or password');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw fail('must be an origin without a path (the gateway serves /mcp under it)');
  }
  const hostname = url.hostname.toLowerCase();
  return { origin: url.origin, hostname, loopback: isLoopbackHost(hostname) };
}

/** True when a `Host` header value names the public URL's host (any port: proxies differ). */
export function namesPublicHost(publicUrl: PublicUrl, host: string | undefined): boolean {
  return host !== undefined && hostHeaderName(host) === publicUrl.hostname;
}
