import { randomBytes, scrypt } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import { KEY_LENGTH } from './internal/aead.js';
import { checkScryptParams, scryptParamsOf } from './internal/checks.js';
import type { KeyProvider, KeyProviderKind, MasterKeyRequest, ScryptParams, VaultLogger } from './types.js';

/** The environment variable {@link selectKeyProvider} reads the master key from: base64 of 32 bytes. */
export const MASTER_KEY_ENV = 'MCPMUX_MASTER_KEY';

/** The keychain service and account under which the master key is stored by default. */
export const KEYCHAIN_SERVICE = 'mcpmux';
/** See {@link KEYCHAIN_SERVICE}. */
export const KEYCHAIN_ACCOUNT = 'vault-master-key';

/** Default scrypt cost for passphrases: N = 2^17, r = 8, p = 1 (128 MiB, about half a second). */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

type Random = (n: number) => Uint8Array;
const defaultRandom: Random = (n) => randomBytes(n);

/** True when `text` (trimmed) is base64 of exactly 32 bytes, the only shape a master key has. */
function isKeyText(text: string): boolean {
  const trimmed = text.trim();
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) && Buffer.from(trimmed, 'base64').length === KEY_LENGTH;
}

function decodeKey(text: string, source: string): Buffer {
  if (!isKeyText(text)) {
    throw new McpmuxError(
      'VAULT_LOCKED',
      `The master key from ${source} is not base64 of 32 bytes; nothing was decrypted.`,
      { data: { source } },
    );
  }
  return Buffer.from(text.trim(), 'base64');
}

/**
 * The error for a master-key variable that is set but malformed. The variable overrides every other
 * key source, so the fix is in the variable itself: correct it or unset it. Never contains the value.
 */
function malformedVariable(name: string): McpmuxError {
  return new McpmuxError(
    'VAULT_LOCKED',
    `The environment variable ${name} is set but malformed: it is not base64 of 32 bytes, so nothing was decrypted. ` +
      `Fix it (the key the vault was created with; a new one is made by \`openssl rand -base64 32\`), ` +
      `or unset it (\`unset ${name}\`) to use the OS keychain or the key file.`,
    { data: { source: `env:${name}`, reason: 'malformed', field: name } },
  );
}

/**
 * A key provider reading the master key from a value the application took from its environment
 * (normally `MCPMUX_MASTER_KEY`): base64 of exactly 32 random bytes (`openssl rand -base64 32`).
 * The library never reads `process.env` itself.
 *
 * @param value - The variable's value, or `undefined` when unset.
 * @param name - The variable's name for messages; default `MCPMUX_MASTER_KEY`.
 * @returns A provider whose `getMasterKey` throws `VAULT_LOCKED` if the value is missing or is not
 *   base64 of 32 bytes (the message names the variable, says to fix or unset it, and never contains
 *   the value). Its `describe()` names the variable.
 * @example
 * ```ts
 * const provider = createEnvKeyProvider(process.env.MCPMUX_MASTER_KEY);
 * ```
 */
export function createEnvKeyProvider(value: string | undefined, name: string = MASTER_KEY_ENV): KeyProvider {
  const source = `the environment variable ${name}`;
  return {
    id: `env:${name}`,
    kind: 'env',
    getMasterKey: async () => {
      if (value === undefined || value.trim() === '') {
        throw new McpmuxError('VAULT_LOCKED', `${name} is not set; nothing was decrypted.`, {
          data: { source: `env:${name}` },
        });
      }
      if (!isKeyText(value)) throw malformedVariable(name);
      return Buffer.from(value.trim(), 'base64');
    },
    describe: () => source,
  };
}

/** Options of {@link createPassphraseKeyProvider}. */
export interface PassphraseKeyProviderOptions {
  /** scrypt cost for NEW vaults; default {@link DEFAULT_SCRYPT}. An existing vault keeps its stored parameters. */
  scrypt?: { N?: number; r?: number; p?: number };
  /** Randomness for the salt; default `crypto.randomBytes`. */
  random?: Random;
}

/**
 * A key provider deriving the master key from a passphrase with scrypt. The salt and cost are stored
 * in the vault (never the passphrase or the key); the vault derives the key once when it opens, never
 * per request.
 *
 * @param passphrase - At least one character; compared exactly (no trimming or normalisation).
 * @param options - scrypt cost for new vaults and the randomness source.
 * @throws `INVALID_INPUT` for an empty passphrase; `newKdfParams` (called when a vault is created
 *   with this provider or rotated to it) throws `INVALID_INPUT` for a cost out of bounds, naming the
 *   field (`passphrase scrypt parameters.N: must be a power of two`); `getMasterKey` throws
 *   `VAULT_LOCKED` when the vault has no stored parameters.
 * @example
 * ```ts
 * const vault = await openSqliteVault({ path, keyProvider: createPassphraseKeyProvider(passphrase) });
 * ```
 */
export function createPassphraseKeyProvider(
  passphrase: string,
  options: PassphraseKeyProviderOptions = {},
): KeyProvider {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new McpmuxError('INVALID_INPUT', 'passphrase: must not be empty', {
      data: { field: 'passphrase' },
    });
  }
  const random = options.random ?? defaultRandom;
  const cost = { ...DEFAULT_SCRYPT, ...options.scrypt };
  return {
    id: 'passphrase',
    kind: 'passphrase',
    newKdfParams: () =>
      checkScryptParams(
        { algorithm: 'scrypt', ...cost, salt: Buffer.from(random(16)).toString('base64') },
        'passphrase scrypt parameters',
      ),
    getMasterKey: async (request?: MasterKeyRequest) => {
      const kdf = scryptParamsOf(request?.kdf);
      if (kdf === undefined) {
        throw new McpmuxError(
          'VAULT_LOCKED',
          'This vault has no valid passphrase parameters (it was not created with a passphrase); nothing was decrypted.',
        );
      }
      return deriveScrypt(passphrase, kdf);
    },
    describe: () => 'a passphrase (scrypt)',
  };
}

function deriveScrypt(passphrase: string, params: ScryptParams): Promise<Buffer> {
  const salt = Buffer.from(params.salt, 'base64');
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(passphrase, 'utf8'),
      salt,
      KEY_LENGTH,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (err, key) => {
        if (err)
          reject(new McpmuxError('VAULT_LOCKED', 'The passphrase key derivation failed.', { cause: err }));
        else resolve(key);
      },
    );
  });
}

/**
 * The warning the key-file provider logs once, when it creates the key file: what the file protects
 * against and what it does not. Later uses log one short info line instead.
 *
 * @param path - the key file.
 * @example
 * ```ts
 * console.warn(keyFileWarning('/home/me/.mcpmux/keys/master.key'));
 * ```
 */
export function keyFileWarning(path: string): string {
  return (
    `mcpmux vault: the master key is kept in the key file ${path} (mode 0600 in a 0700 directory). ` +
    'This protects the secrets against other users of this machine and against a copy of the database ' +
    'alone (a backup, a synced folder, a shared mcpmux.db). It does NOT protect against malware or anyone ' +
    'running as your user, nor against a backup that holds both the database and the key file. ' +
    'Prefer the OS keychain, MCPMUX_MASTER_KEY from a secret manager, or a passphrase.'
  );
}

/** The one short line (info) the key-file provider logs each time it supplies an existing key. */
function keyFileNotice(path: string): string {
  return `mcpmux vault: master key from the key file ${path} (\`mcpmux doctor\` says what that protects)`;
}

/** Options of {@link createKeyFileKeyProvider}. */
export interface KeyFileKeyProviderOptions {
  /**
   * Receives {@link keyFileWarning} (warn) when the key file is created, and one short info line
   * naming the file when an existing one is used; default: no logging.
   */
  logger?: VaultLogger;
  /** Randomness for a new key; default `crypto.randomBytes`. */
  random?: Random;
}

/**
 * A key provider keeping the master key in a file (base64, mode 0600, directory 0700), created only for
 * a NEW vault. The weakest provider: creating the file logs a warning saying what it protects against
 * and what it does not ({@link keyFileWarning}); each later use logs one short info line.
 *
 * @param path - The key file, e.g. `<home>/keys/master.key`.
 * @param options - Logger and randomness.
 * @returns A provider whose `getMasterKey` throws `VAULT_LOCKED` when the file is missing for an existing
 *   vault, is readable by group or others (POSIX), or does not hold base64 of 32 bytes.
 * @example
 * ```ts
 * const provider = createKeyFileKeyProvider(join(home, 'keys', 'master.key'), { logger: console });
 * ```
 */
export function createKeyFileKeyProvider(path: string, options: KeyFileKeyProviderOptions = {}): KeyProvider {
  const random = options.random ?? defaultRandom;
  const source = `the key file ${path}`;
  return {
    id: `keyfile:${path}`,
    kind: 'keyfile',
    getMasterKey: async (request?: MasterKeyRequest) => {
      let text: string | undefined;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new McpmuxError('VAULT_LOCKED', `Cannot read ${source}; nothing was decrypted.`, {
            cause: err,
          });
        }
      }
      if (text === undefined) {
        if (request?.create !== true) {
          throw new McpmuxError(
            'VAULT_LOCKED',
            `The master key file ${path} is missing and the vault already exists; a new key is never created for an existing vault. Restore the file or use the provider the vault was created with.`,
            { data: { source: `keyfile:${path}` } },
          );
        }
        const created = await createKeyFile(path, random);
        if (created.created) options.logger?.warn(keyFileWarning(path));
        else options.logger?.info?.(keyFileNotice(path));
        return created.key;
      }
      await assertPrivate(path);
      const key = decodeKey(text, source);
      options.logger?.info?.(keyFileNotice(path));
      return key;
    },
    describe: () => source,
  };
}

async function assertPrivate(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const [file, dir] = await Promise.all([stat(path), stat(dirname(path))]);
  if ((file.mode & 0o077) !== 0 || (dir.mode & 0o077) !== 0) {
    throw new McpmuxError(
      'VAULT_LOCKED',
      `The master key file ${path} or its directory is accessible to other users; run \`chmod 700 ${dirname(path)} && chmod 600 ${path}\`.`,
      { data: { source: `keyfile:${path}` } },
    );
  }
}

async function createKeyFile(path: string, random: Random): Promise<{ key: Buffer; created: boolean }> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const key = Buffer.from(random(KEY_LENGTH));
  const temp = join(dir, `.master.key.${Buffer.from(random(6)).toString('hex')}.tmp`);
  await writeFile(temp, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    // link() refuses to replace an existing file: two processes racing to create keep the first key.
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: decodeKey(await readFile(path, 'utf8'), `the key file ${path}`), created: false };
  } finally {
    await unlink(temp);
  }
  return { key, created: true };
}

interface KeyringEntry {
  getPassword(): string | null | undefined;
  setPassword(password: string): void;
}
type KeyringModule = {
  Entry: new (service: string, account: string) => KeyringEntry;
  findCredentials?: (service: string) => unknown;
};

/**
 * `Entry.getPassword` answers `null` both for a missing entry and for an unreachable keychain;
 * `findCredentials` throws when the platform store cannot be reached, so it tells the two apart.
 */
function assertReachable(keyring: KeyringModule, service: string): void {
  keyring.findCredentials?.(service);
}

/**
 * Loads the native keychain module. Through `require`, not `import()`: an ES import of this CommonJS
 * package makes Node lex its 600-line loader for named exports first (about 15 ms of `status`).
 */
async function loadKeyring(): Promise<KeyringModule> {
  try {
    return createRequire(import.meta.url)('@napi-rs/keyring') as KeyringModule;
  } catch (err) {
    throw new McpmuxError('VAULT_LOCKED', 'The OS keychain module @napi-rs/keyring is not installed.', {
      cause: err,
    });
  }
}

/** Options of {@link createKeychainKeyProvider}. */
export interface KeychainKeyProviderOptions {
  /** Keychain service name; default {@link KEYCHAIN_SERVICE}. */
  service?: string;
  /** Keychain account name; default {@link KEYCHAIN_ACCOUNT}. */
  account?: string;
  /** Randomness for a new key; default `crypto.randomBytes`. */
  random?: Random;
}

/**
 * A key provider keeping the master key in the OS keychain (macOS Keychain, Windows Credential Manager,
 * the Secret Service on Linux) through `@napi-rs/keyring`, which is loaded lazily on first use. A key
 * is created there only for a NEW vault; a deleted entry fails closed.
 *
 * @param options - Service and account names, randomness.
 * @returns A provider whose `getMasterKey` throws `VAULT_LOCKED` when the keychain is unreachable,
 *   the entry is missing for an existing vault, or the entry is not base64 of 32 bytes.
 * @example
 * ```ts
 * const vault = await openSqliteVault({ path, keyProvider: createKeychainKeyProvider() });
 * ```
 */
export function createKeychainKeyProvider(options: KeychainKeyProviderOptions = {}): KeyProvider {
  const service = options.service ?? KEYCHAIN_SERVICE;
  const account = options.account ?? KEYCHAIN_ACCOUNT;
  const random = options.random ?? defaultRandom;
  const source = `the OS keychain (service "${service}", account "${account}")`;
  return {
    id: `keychain:${service}/${account}`,
    kind: 'keychain',
    getMasterKey: async (request?: MasterKeyRequest) => {
      const keyring = await loadKeyring();
      let stored: string | null | undefined;
      let entry: KeyringEntry;
      try {
        assertReachable(keyring, service);
        entry = new keyring.Entry(service, account);
        stored = entry.getPassword();
      } catch (err) {
        throw new McpmuxError('VAULT_LOCKED', `Cannot reach ${source}; nothing was decrypted.`, {
          cause: err,
        });
      }
      if (stored !== null && stored !== undefined) return decodeKey(stored, source);
      if (request?.create !== true) {
        throw new McpmuxError(
          'VAULT_LOCKED',
          `The master key is missing from ${source} and the vault already exists; a new key is never created for an existing vault.`,
          { data: { source: `keychain:${service}/${account}` } },
        );
      }
      const key = Buffer.from(random(KEY_LENGTH));
      let final: string | null | undefined;
      try {
        entry.setPassword(key.toString('base64'));
        // Read back: if another process created the vault's key at the same moment, the keychain
        // holds the one that was written last, and both processes use that one.
        final = entry.getPassword();
      } catch (err) {
        throw new McpmuxError('VAULT_LOCKED', `Cannot store the master key in ${source}.`, { cause: err });
      } finally {
        key.fill(0);
      }
      if (final === null || final === undefined) {
        throw new McpmuxError('VAULT_LOCKED', `The master key stored in ${source} cannot be read back.`);
      }
      return decodeKey(final, source);
    },
    describe: () => source,
  };
}

/** What the keychain looks like from here: unreachable, reachable and empty, or holding a key. */
async function probeKeychain(service: string, account: string): Promise<'unavailable' | 'empty' | 'present'> {
  try {
    const keyring = await loadKeyring();
    assertReachable(keyring, service);
    const value = new keyring.Entry(service, account).getPassword();
    return value === null || value === undefined ? 'empty' : 'present';
  } catch {
    return 'unavailable';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link selectKeyProvider}. */
export interface SelectKeyProviderOptions {
  /** The application's environment (e.g. `process.env`); only `MCPMUX_MASTER_KEY` is read. */
  env: Record<string, string | undefined>;
  /** The mcpmux home directory; the key file is `<home>/keys/master.key`. */
  home: string;
  /** A passphrase, if the user gave one. */
  passphrase?: string;
  /** Use exactly this kind of provider, whatever else is available. */
  prefer?: KeyProviderKind;
  /**
   * The kind of provider the vault was created with, when known (`vaultCreatedWith(store.sql)`). A
   * vault created with the key file whose key file still exists uses it without probing the OS
   * keychain (which would load the keychain module and could hold another vault's key).
   */
  createdWith?: KeyProviderKind | undefined;
  /** Receives the key-file warning; default: no logging. */
  logger?: VaultLogger;
  /** Keychain service/account; defaults {@link KEYCHAIN_SERVICE} / {@link KEYCHAIN_ACCOUNT}. */
  keychain?: { service?: string; account?: string };
  /** Randomness for new keys and salts; default `crypto.randomBytes`. */
  random?: Random;
}

/**
 * Chooses the master-key provider. The documented order:
 *
 * 1. `prefer`, when given (fails if that kind cannot be used);
 * 2. `MCPMUX_MASTER_KEY` in `env` (a malformed value fails closed here, with `VAULT_LOCKED` saying to
 *    fix or unset the variable; it does not fall through);
 * 3. the key file, when the vault was created with it (`createdWith: 'keyfile'`), no passphrase is
 *    given and the file exists; the keychain is not probed then;
 * 4. the OS keychain, when it is reachable and already holds the mcpmux key;
 * 5. the passphrase, when given;
 * 6. the key file `<home>/keys/master.key`, when it already exists;
 * 7. the OS keychain, when it is reachable (a key is created there for a new vault);
 * 8. the key file, created for a new vault, with a warning through `logger` (once, when the file is
 *    created; later uses log one short info line).
 *
 * Steps 3, 4 and 6 refine "keychain, then passphrase, then key file" so that a vault keeps the
 * provider it was created with when a keychain appears or disappears later. Whatever is chosen, the vault checks
 * the key against its key-check record and fails with `VAULT_LOCKED` when it is wrong or missing.
 *
 * @param options - See {@link SelectKeyProviderOptions}.
 * @throws `INVALID_INPUT` when `prefer` names a provider without its input (no passphrase, no variable);
 *   `VAULT_LOCKED` (data `reason: 'malformed'`) when `MCPMUX_MASTER_KEY` is set but is not base64 of
 *   32 bytes (the message says to fix or unset it and never contains the value).
 * @example
 * ```ts
 * const keyProvider = await selectKeyProvider({ env: process.env, home, logger: console });
 * const vault = await openSqliteVault({ path: join(home, 'mcpmux.db'), keyProvider });
 * ```
 */
export async function selectKeyProvider(options: SelectKeyProviderOptions): Promise<KeyProvider> {
  const random = options.random ?? defaultRandom;
  const keyFilePath = join(options.home, 'keys', 'master.key');
  const service = options.keychain?.service ?? KEYCHAIN_SERVICE;
  const account = options.keychain?.account ?? KEYCHAIN_ACCOUNT;
  const envValue = options.env[MASTER_KEY_ENV];
  const keychain = () => createKeychainKeyProvider({ service, account, random });
  const keyFile = () =>
    createKeyFileKeyProvider(keyFilePath, {
      random,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  const passphrase = (value: string) => createPassphraseKeyProvider(value, { random });

  switch (options.prefer) {
    case 'env':
      if (envValue === undefined) {
        throw new McpmuxError('INVALID_INPUT', `${MASTER_KEY_ENV}: is not set`, {
          data: { field: MASTER_KEY_ENV },
        });
      }
      if (!isKeyText(envValue)) throw malformedVariable(MASTER_KEY_ENV);
      return createEnvKeyProvider(envValue);
    case 'passphrase':
      if (options.passphrase === undefined) {
        throw new McpmuxError('INVALID_INPUT', 'passphrase: is required', { data: { field: 'passphrase' } });
      }
      return passphrase(options.passphrase);
    case 'keychain':
      return keychain();
    case 'keyfile':
      return keyFile();
    case undefined:
      break;
  }
  if (envValue !== undefined && envValue !== '') {
    // Checked here, before any vault is read: the vault would add where ITS key lives, which is not
    // the fix when the variable itself is broken.
    if (!isKeyText(envValue)) throw malformedVariable(MASTER_KEY_ENV);
    return createEnvKeyProvider(envValue);
  }
  if (options.createdWith === 'keyfile' && options.passphrase === undefined && (await exists(keyFilePath))) {
    return keyFile();
  }
  const state = await probeKeychain(service, account);
  if (state === 'present') return keychain();
  if (options.passphrase !== undefined) return passphrase(options.passphrase);
  if (await exists(keyFilePath)) return keyFile();
  if (state === 'empty') return keychain();
  return keyFile();
}
