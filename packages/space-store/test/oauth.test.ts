import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteSpaceStore, type SqliteSpaceStore } from '../src/sqlite.js';
import { expectError, manualClock } from './contract.js';

const REDIRECT = 'http://127.0.0.1:33418/callback';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

describe('OAuth in the SQLite store', () => {
  let clock: ReturnType<typeof manualClock>;
  let store: SqliteSpaceStore;
  let appId: string;

  beforeEach(async () => {
    clock = manualClock();
    store = openSqliteSpaceStore({ path: ':memory:' }, { clock: clock.now });
    await store.createSpace({ id: 'work' });
    await store.createClient({ id: 'claude-code' });
    appId = (await store.registerOAuthClient({ kind: 'dcr', name: 'Claude Code', redirectUris: [REDIRECT] }))
      .id;
  });
  afterEach(async () => {
    await store.close();
  });

  async function signIn(clientId = 'claude-code') {
    const { verifier, challenge } = pkce();
    const code = await store.createAuthorizationCode({
      oauthClientId: appId,
      clientId,
      redirectUri: REDIRECT,
      codeChallenge: challenge,
    });
    return { code, verifier };
  }

  it('a DCR client gets a generated id; a CIMD client is keyed by its URL and re-registering refreshes it', async () => {
    expect(appId).toMatch(/^mcpmux-dcr-/);
    const url = 'https://app.example/oauth/client.json';
    await store.registerOAuthClient({ kind: 'cimd', id: url, name: 'Old', redirectUris: [REDIRECT] });
    const again = await store.registerOAuthClient({
      kind: 'cimd',
      id: url,
      name: 'New',
      redirectUris: [REDIRECT],
    });
    expect(again).toMatchObject({ id: url, kind: 'cimd', name: 'New', redirectUris: [REDIRECT] });
    expect(await store.getOAuthClient(url)).toEqual(again);
    await expectError(
      () => store.registerOAuthClient({ kind: 'cimd', redirectUris: [REDIRECT] }),
      'INVALID_INPUT',
    );
  });

  it('a code with the right verifier yields an access token that authenticates as the chosen client', async () => {
    const { code, verifier } = await signIn();
    const tokens = await store.exchangeAuthorizationCode({
      code,
      oauthClientId: appId,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    expect(tokens.accessToken).toMatch(/^mcpmux_at_[A-Za-z0-9_-]{43}$/);
    expect(tokens.refreshToken).toMatch(/^mcpmux_rt_[A-Za-z0-9_-]{43}$/);
    expect(tokens.expiresIn).toBe(3600);
    expect((await store.authenticate(tokens.accessToken))?.id).toBe('claude-code');
    expect(await store.authenticate(tokens.refreshToken)).toBeUndefined();
    const stored = store.database.prepare('SELECT hash FROM oauth_tokens').pluck().all() as string[];
    expect(stored).not.toContain(tokens.accessToken);
    expect(stored).toContain(createHash('sha256').update(tokens.accessToken).digest('hex'));
  });

  it('the access token stops working after an hour', async () => {
    const { code, verifier } = await signIn();
    const { accessToken } = await store.exchangeAuthorizationCode({
      code,
      oauthClientId: appId,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    clock.advance(3_600_000);
    expect(await store.authenticate(accessToken)).toBeUndefined();
  });

  it('refuses a wrong verifier, another redirect URI, a reused code and an expired code', async () => {
    const a = await signIn();
    await expectError(
      () =>
        store.exchangeAuthorizationCode({
          code: a.code,
          oauthClientId: appId,
          redirectUri: REDIRECT,
          codeVerifier: pkce().verifier,
        }),
      'UNAUTHORIZED',
      /code_verifier/,
    );
    const b = await signIn();
    await expectError(
      () =>
        store.exchangeAuthorizationCode({
          code: b.code,
          oauthClientId: appId,
          redirectUri: 'http://127.0.0.1:1/other',
          codeVerifier: b.verifier,
        }),
      'UNAUTHORIZED',
      /redirect_uri/,
    );
    const c = await signIn();
    const input = { code: c.code, oauthClientId: appId, redirectUri: REDIRECT, codeVerifier: c.verifier };
    const first = await store.exchangeAuthorizationCode(input);
    await expectError(() => store.exchangeAuthorizationCode(input), 'UNAUTHORIZED', /already used/);
    // The reuse revoked what the code issued.
    expect(await store.authenticate(first.accessToken)).toBeUndefined();
    const d = await signIn();
    clock.advance(120_000);
    await expectError(
      () =>
        store.exchangeAuthorizationCode({
          code: d.code,
          oauthClientId: appId,
          redirectUri: REDIRECT,
          codeVerifier: d.verifier,
        }),
      'UNAUTHORIZED',
      /expired/,
    );
  });

  it('refuses to issue a code for a redirect URI the app did not register', async () => {
    await expectError(
      () =>
        store.createAuthorizationCode({
          oauthClientId: appId,
          clientId: 'claude-code',
          redirectUri: 'https://evil.example/cb',
          codeChallenge: pkce().challenge,
        }),
      'INVALID_INPUT',
      /redirect URIs/,
    );
  });

  it('refresh rotates the token; reusing a rotated one revokes the whole family', async () => {
    const { code, verifier } = await signIn();
    const first = await store.exchangeAuthorizationCode({
      code,
      oauthClientId: appId,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    const second = await store.refreshOAuthTokens(first.refreshToken, appId);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await store.authenticate(second.accessToken))?.id).toBe('claude-code');
    await expectError(
      () => store.refreshOAuthTokens(first.refreshToken, appId),
      'UNAUTHORIZED',
      /already used/,
    );
    expect(await store.authenticate(second.accessToken)).toBeUndefined();
    expect(await store.authenticate(first.accessToken)).toBeUndefined();
    await expectError(() => store.refreshOAuthTokens(second.refreshToken, appId), 'UNAUTHORIZED');
  });

  it('a family revoked by refresh-token reuse is a client change watchers hear of (auth caches drop it)', async () => {
    const { code, verifier } = await signIn();
    const first = await store.exchangeAuthorizationCode({
      code,
      oauthClientId: appId,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    await store.refreshOAuthTokens(first.refreshToken, appId);
    const kinds: string[] = [];
    const stop = store.watch((change) => kinds.push(...change.kinds));
    await expectError(() => store.refreshOAuthTokens(first.refreshToken, appId), 'UNAUTHORIZED');
    stop();
    expect(kinds).toContain('client');
  });

  it('revoking a refresh token (RFC 7009) ends its family; unknown tokens are ignored', async () => {
    const { code, verifier } = await signIn();
    const t = await store.exchangeAuthorizationCode({
      code,
      oauthClientId: appId,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    await store.revokeOAuthToken('mcpmux_rt_unknown', appId);
    await store.revokeOAuthToken(t.refreshToken, appId);
    expect(await store.authenticate(t.accessToken)).toBeUndefined();
    await expectError(() => store.refreshOAuthTokens(t.refreshToken, appId), 'UNAUTHORIZED');
  });

  it("revoking the client's keys or deleting the client stops its OAuth tokens at once", async () => {
    const a = await signIn();
    const t = await store.exchangeAuthorizationCode({
      code: a.code,
      oauthClientId: appId,
      redirectUri: REDIRECT,
      codeVerifier: a.verifier,
    });
    await store.revokeAccessKeys('claude-code');
    expect(await store.authenticate(t.accessToken)).toBeUndefined();
    await expectError(() => store.refreshOAuthTokens(t.refreshToken, appId), 'UNAUTHORIZED');

    const b = await signIn();
    const u = await store.exchangeAuthorizationCode({
      code: b.code,
      oauthClientId: appId,
      redirectUri: REDIRECT,
      codeVerifier: b.verifier,
    });
    await store.deleteClient('claude-code');
    expect(await store.authenticate(u.accessToken)).toBeUndefined();
    expect(store.database.prepare('SELECT count(*) FROM oauth_tokens').pluck().get()).toBe(0);
  });
});
