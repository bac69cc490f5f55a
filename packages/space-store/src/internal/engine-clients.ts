import { McpmuxError } from '@mcpmux/core';
import type {
  AuthorizationCodeInput,
  CodeExchangeInput,
  OAuthClient,
  OAuthClientInput,
  OAuthTokenSet,
} from '../oauth-types.js';
import type { AccessKeyInfo, Client, ClientInput, ClientPatch, RotateKeyOptions } from '../types.js';
import type { WriteScope } from './engine-core.js';
import { ServerEngine } from './engine-servers.js';
import { invalid, notFound } from './errors.js';
import type { StoreTx } from './repo.js';
import { checkId } from './rules/input.js';
import {
  KEY_DISPLAY_PREFIX,
  KEY_PREFIX,
  LAST_USED_GRANULARITY_MS,
  looksLikeAccessKey,
  randomSecret,
  sameHash,
  sha256Hex,
} from './rules/keys.js';
import * as oauth from './rules/oauth.js';
import { opt } from './util.js';
import { inputSchemas, parseInput } from './validation.js';

/** Clients, access keys and OAuth sign-ins, over any Repo. Part of {@link StoreEngine}; not used alone. */
export class ClientEngine extends ServerEngine {
  // -- Clients and access keys ------------------------------------------------------------------

  protected async requireClient(tx: StoreTx, id: string): Promise<Client> {
    const client = await tx.getClient(id);
    if (client === undefined) throw notFound('client', id);
    return client;
  }

  /** Creates a key row and returns the key (shown once). */
  private async issueKey(tx: StoreTx, clientId: string, expiresAt: Date | undefined): Promise<string> {
    const key = randomSecret(KEY_PREFIX, this.random);
    await tx.insertAccessKey({
      clientId,
      hash: sha256Hex(key),
      prefix: key.slice(0, KEY_DISPLAY_PREFIX),
      createdAt: this.now(),
      ...opt('expiresAt', expiresAt),
    });
    return key;
  }

  async createClient(input: ClientInput): Promise<{ client: Client; accessKey: string }> {
    const v = await parseInput('ClientInputSchema', input, 'client');
    const mode = v.mode ?? (v.pinnedSpaceId === undefined ? 'follow-active' : 'pinned');
    if (mode === 'pinned' && v.pinnedSpaceId === undefined) {
      throw invalid('client.pinnedSpaceId', 'a pinned client needs the Space to pin (`--pinned SPACE`)');
    }
    if (mode === 'follow-active' && v.pinnedSpaceId !== undefined) {
      throw invalid(
        'client.pinnedSpaceId',
        'only a pinned client has a pinned Space; drop it or use mode "pinned"',
      );
    }
    return this.write(async (w) => {
      this.refuseTakenId('client', v.id, await w.tx.getClient(v.id));
      if (v.pinnedSpaceId !== undefined) await this.requireSpace(w.tx, v.pinnedSpaceId);
      const now = this.now();
      await w.tx.insertClient({
        id: v.id,
        name: v.name ?? v.id,
        mode,
        ...opt('pinnedSpaceId', v.pinnedSpaceId),
        lean: v.lean ?? false,
        pinnedTools: [...new Set(v.pinnedTools ?? [])],
        createdAt: now,
        updatedAt: now,
      });
      const accessKey = await this.issueKey(w.tx, v.id, v.keyExpiresAt);
      await w.change('client');
      return { client: await this.requireClient(w.tx, v.id), accessKey };
    });
  }

  async getClient(id: string): Promise<Client | undefined> {
    const cid = checkId(id, 'client id');
    return this.read((tx) => tx.getClient(cid));
  }

  async listClients(): Promise<Client[]> {
    return this.read((tx) => tx.listClients());
  }

  async updateClient(id: string, patch: ClientPatch): Promise<Client> {
    const cid = checkId(id, 'client id');
    const p = await parseInput('ClientPatchSchema', patch, 'client');
    return this.write(async (w) => {
      const current = await this.requireClient(w.tx, cid);
      const mode = p.mode ?? (p.pinnedSpaceId !== undefined ? 'pinned' : current.mode);
      let pinned: string | undefined;
      if (mode === 'pinned') {
        pinned = p.pinnedSpaceId ?? current.pinnedSpaceId;
        if (pinned === undefined)
          throw invalid('client.pinnedSpaceId', 'a pinned client needs the Space to pin');
        await this.requireSpace(w.tx, pinned);
      } else if (p.pinnedSpaceId !== undefined) {
        throw invalid('client.pinnedSpaceId', 'only a pinned client has a pinned Space; use mode "pinned"');
      }
      const { pinnedSpaceId: _, ...rest } = current;
      await w.tx.updateClient({
        ...rest,
        ...opt('name', p.name),
        ...opt('lean', p.lean),
        ...(p.pinnedTools === undefined ? {} : { pinnedTools: [...new Set(p.pinnedTools)] }),
        mode,
        ...opt('pinnedSpaceId', pinned),
        updatedAt: this.now(),
      });
      await w.change('client');
      return this.requireClient(w.tx, cid);
    });
  }

  async deleteClient(id: string): Promise<void> {
    const cid = checkId(id, 'client id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await w.tx.deleteClient(cid);
      await w.change('client');
      await w.change('grant');
    });
  }

  async listAccessKeys(clientId: string): Promise<AccessKeyInfo[]> {
    const cid = checkId(clientId, 'client id');
    return this.read(async (tx) => {
      await this.requireClient(tx, cid);
      return (await tx.listAccessKeys(cid)).map(({ id: _, hash: __, ...info }) => info);
    });
  }

  async rotateAccessKey(clientId: string, opts: RotateKeyOptions = {}): Promise<string> {
    const cid = checkId(clientId, 'client id');
    const o = await parseInput('RotateKeyOptionsSchema', opts, 'rotate');
    return this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await w.tx.revokeAccessKeys(cid, this.now());
      const key = await this.issueKey(w.tx, cid, o.expiresAt);
      await w.change('client');
      return key;
    });
  }

  async revokeAccessKeys(clientId: string): Promise<void> {
    const cid = checkId(clientId, 'client id');
    await this.write(async (w) => {
      await this.requireClient(w.tx, cid);
      await w.tx.revokeAccessKeys(cid, this.now());
      await oauth.revokeForClient(w.tx, this.oauthEnv(w), cid);
      await w.change('client');
    });
  }

  async authenticate(accessKey: string): Promise<Client | undefined> {
    if (typeof accessKey === 'string' && accessKey.startsWith(oauth.ACCESS_TOKEN_PREFIX)) {
      const now = this.clock().getTime();
      return this.read(async (tx) => {
        const clientId = await oauth.accessTokenClient(tx, accessKey, now);
        return clientId === undefined ? undefined : tx.getClient(clientId);
      });
    }
    if (!looksLikeAccessKey(accessKey)) return undefined;
    const hash = sha256Hex(accessKey);
    const now = this.clock().getTime();
    const found = await this.read(async (tx) => {
      const row = await tx.getAccessKeyByHash(hash);
      if (row === undefined || !sameHash(row.hash, hash)) return undefined;
      if (row.revokedAt !== undefined || (row.expiresAt !== undefined && row.expiresAt.getTime() <= now))
        return undefined;
      const client = await tx.getClient(row.clientId);
      return client === undefined ? undefined : { row, client };
    });
    if (found === undefined) return undefined;
    const last = found.row.lastUsedAt?.getTime();
    if (last === undefined || now - last >= LAST_USED_GRANULARITY_MS) {
      try {
        await this.repo.write((tx) => tx.setAccessKeyLastUsed(found.row.id, new Date(now)));
      } catch {
        // Recording last use is best effort: a busy database must not fail authentication.
      }
    }
    return found.client;
  }

  // -- OAuth (DESIGN §11) -----------------------------------------------------------------------

  protected oauthEnv(w: WriteScope): oauth.OAuthEnv {
    return {
      now: () => this.clock().getTime(),
      random: this.random,
      revoked: () => w.change('client'),
    };
  }

  async registerOAuthClient(input: OAuthClientInput): Promise<OAuthClient> {
    const v = await parseInput('OAuthClientInputSchema', input, 'oauth client');
    return this.write((w) => oauth.registerOAuthClient(w.tx, this.oauthEnv(w), v));
  }

  async getOAuthClient(id: string): Promise<OAuthClient | undefined> {
    if (typeof id !== 'string' || id.length === 0 || id.length > 2000) return undefined;
    return this.read(async (tx) => {
      const row = await tx.getOAuthClient(id);
      return row === undefined ? undefined : oauth.toOAuthClient(row);
    });
  }

  async createAuthorizationCode(input: AuthorizationCodeInput): Promise<string> {
    const v = await parseInput('AuthorizationCodeInputSchema', input, 'authorization');
    return this.write(async (w) => {
      const app = await w.tx.getOAuthClient(v.oauthClientId);
      if (app === undefined) {
        throw new McpmuxError(
          'NOT_FOUND',
          `OAuth client "${v.oauthClientId}" is not registered. Start the sign-in again from the app.`,
          { data: { entity: 'oauth-client', id: v.oauthClientId } },
        );
      }
      if (!app.redirectUris.includes(v.redirectUri)) {
        throw invalid('authorization.redirectUri', 'is not one of the redirect URIs the app registered');
      }
      await this.requireClient(w.tx, v.clientId);
      return oauth.createCode(w.tx, this.oauthEnv(w), v);
    });
  }

  /** Runs a grant in a write transaction, then throws its refusal AFTER the commit (revocations stick). */
  private async grantTokens(fn: (w: WriteScope) => Promise<oauth.GrantOutcome>): Promise<OAuthTokenSet> {
    const outcome = await this.write(fn);
    if (!outcome.ok) throw oauth.invalidGrant(outcome.message);
    return outcome.tokens;
  }

  async exchangeAuthorizationCode(input: CodeExchangeInput): Promise<OAuthTokenSet> {
    const r = (await inputSchemas()).CodeExchangeInputSchema.safeParse(input);
    if (!r.success) {
      throw oauth.invalidGrant(
        `${r.error.issues[0]?.path.join('.') ?? 'input'}: ${r.error.issues[0]?.message ?? 'invalid'}`,
      );
    }
    return this.grantTokens((w) => oauth.exchangeCode(w.tx, this.oauthEnv(w), r.data));
  }

  async refreshOAuthTokens(refreshToken: string, oauthClientId: string): Promise<OAuthTokenSet> {
    if (typeof refreshToken !== 'string' || typeof oauthClientId !== 'string') {
      throw oauth.invalidGrant('refresh_token and client_id are required.');
    }
    return this.grantTokens((w) => oauth.refresh(w.tx, this.oauthEnv(w), refreshToken, oauthClientId));
  }

  async revokeOAuthToken(token: string, oauthClientId?: string): Promise<void> {
    if (typeof token !== 'string') return;
    await this.write((w) => oauth.revoke(w.tx, this.oauthEnv(w), token, oauthClientId));
  }
}
