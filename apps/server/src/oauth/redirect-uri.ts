/**
 * True for a redirect URI mcpmux accepts from an app: `https://` anywhere, or `http://` on a
 * loopback host (a native app's local listener, RFC 8252 §7.3). No fragments.
 *
 * @example
 * ```ts
 * isAllowedRedirectUri('http://127.0.0.1:33418/callback'); // true
 * isAllowedRedirectUri('http://example.com/callback'); // false
 * ```
 */
export function isAllowedRedirectUri(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.hash !== '' || url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const h = url.hostname;
  return h === 'localhost' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}
