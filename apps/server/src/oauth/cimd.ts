// Client ID Metadata Documents: an app's client_id is an https URL serving its metadata. Fetched
// with strict limits, because the URL is chosen by whoever starts a sign-in (SSRF).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { McpmuxError } from '@mcpmux/core';
import { z } from 'zod';
import { isAllowedRedirectUri } from './redirect-uri.js';

/** Largest metadata document accepted: 64 KiB. */
export const CIMD_MAX_BYTES = 64 * 1024;
/** Time allowed for the whole fetch: 5 s. */
export const CIMD_TIMEOUT_MS = 5000;
/** How long a fetched document is reused: 5 minutes. */
export const CIMD_CACHE_MS = 5 * 60 * 1000;

/** The metadata mcpmux reads from a Client ID Metadata Document. */
export interface ClientMetadata {
  clientId: string;
  name: string;
  redirectUris: string[];
}

/** Options of {@link createCimdResolver}. */
export interface CimdOptions {
  /**
   * FOR TESTS: accept `http://` client ids on loopback addresses (a fixture serving the document).
   * Private and link-local addresses stay refused. Default `false`.
   */
  allowLoopbackHttp?: boolean;
  /** Milliseconds clock for the cache. Default `Date.now`. */
  now?: () => number;
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}
const loopbackNets = new BlockList();
loopbackNets.addSubnet('127.0.0.0', 8, 'ipv4');
loopbackNets.addAddress('::1', 'ipv6');

/** True for an address on a private, loopback, link-local, multicast or otherwise internal network. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && loopbackNets.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** True when `clientId` has the shape of a Client ID Metadata Document URL (https, with a path). */
export function looksLikeCimd(clientId: string, allowLoopbackHttp = false): boolean {
  if (!URL.canParse(clientId)) return false;
  const url = new URL(clientId);
  if (url.protocol === 'https:') return url.pathname !== '/' && url.hash === '';
  return allowLoopbackHttp && url.protocol === 'http:';
}

function refused(clientId: string, why: string): McpmuxError {
  return new McpmuxError(
    'INVALID_INPUT',
    `The client metadata document ${clientId} cannot be used: ${why}.`,
    {
      data: { field: 'client_id', oauthError: 'invalid_client' },
    },
  );
}

const DocumentSchema = z.object({
  client_id: z.string(),
  client_name: z.string().max(200).optional(),
  redirect_uris: z.array(z.string().max(2000)).min(1).max(20),
  token_endpoint_auth_method: z.string().optional(),
});

/** Fetches, checks and caches Client ID Metadata Documents. */
export interface CimdResolver {
  /** The document's metadata. @throws `INVALID_INPUT` (with `data.oauthError: 'invalid_client'`) when refused. */
  resolve(clientId: string): Promise<ClientMetadata>;
}

/**
 * A resolver of Client ID Metadata Documents: https only (loopback http with the test option),
 * every resolved address checked (no private, loopback or link-local targets; the checked address is
 * the one connected to, so DNS cannot change it in between), no redirects followed, 64 KiB and 5 s
 * caps, successful documents cached 5 minutes.
 *
 * @example
 * ```ts
 * const cimd = createCimdResolver();
 * const meta = await cimd.resolve('https://app.example/oauth/client.json');
 * ```
 */
export function createCimdResolver(options: CimdOptions = {}): CimdResolver {
  const allowLoopback = options.allowLoopbackHttp === true;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { meta: ClientMetadata; until: number }>();

  const check = (address: string): boolean =>
    !isPrivateAddress(address) || (allowLoopback && isLoopbackAddress(address));

  const lookup: LookupFunction = (hostname, opts, callback) => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
      if (err !== null) return callback(err, '', 4);
      const bad = addresses.find((a) => !check(a.address));
      const first = addresses[0];
      if (bad !== undefined || first === undefined) {
        const e = new Error(`${hostname} resolves to a private address`) as NodeJS.ErrnoException;
        e.code = 'EMCPMUXPRIVATE';
        return callback(e, '', 4);
      }
      if ((opts as { all?: boolean }).all === true)
        return (callback as never as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, first.address, first.family);
    });
  };

  function fetchDocument(url: URL): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        { method: 'GET', lookup, headers: { accept: 'application/json' }, timeout: CIMD_TIMEOUT_MS },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`it answered HTTP ${res.statusCode ?? 0} (redirects are not followed)`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > CIMD_MAX_BYTES) {
              req.destroy(new Error(`it is larger than ${CIMD_MAX_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          res.on('error', reject);
        },
      );
      const deadline = setTimeout(
        () => req.destroy(new Error(`it did not answer within ${CIMD_TIMEOUT_MS} ms`)),
        CIMD_TIMEOUT_MS,
      );
      req.on('close', () => clearTimeout(deadline));
      req.on('timeout', () => req.destroy(new Error(`it did not answer within ${CIMD_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  return {
    async resolve(clientId) {
      const hit = cache.get(clientId);
      if (hit !== undefined && hit.until > now()) return hit.meta;
      if (!looksLikeCimd(clientId, allowLoopback))
        throw refused(clientId, 'it must be an https URL with a path');
      const url = new URL(clientId);
      const literal = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      if (isIP(literal) !== 0 && !check(literal)) throw refused(clientId, 'it points at a private address');
      let text: string;
      try {
        text = await fetchDocument(url);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw refused(clientId, e.code === 'EMCPMUXPRIVATE' ? 'it points at a private address' : e.message);
      }
      let parsed: z.infer<typeof DocumentSchema>;
      try {
        parsed = DocumentSchema.parse(JSON.parse(text));
      } catch {
        throw refused(clientId, 'it is not a JSON client metadata document with redirect_uris');
      }
      if (parsed.client_id !== clientId) throw refused(clientId, 'its client_id is not its own URL');
      const bad = parsed.redirect_uris.find((u) => !isAllowedRedirectUri(u));
      if (bad !== undefined)
        throw refused(clientId, `redirect URI ${bad} is neither https nor loopback http`);
      const meta: ClientMetadata = {
        clientId,
        name: parsed.client_name ?? url.hostname,
        redirectUris: parsed.redirect_uris,
      };
      if (cache.size >= 1000) cache.clear();
      cache.set(clientId, { meta, until: now() + CIMD_CACHE_MS });
      return meta;
    },
  };
}
