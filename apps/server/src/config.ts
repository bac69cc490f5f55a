import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { McpmuxError } from '@mcpmux/core';
import { z } from 'zod';

/** The settings file inside a home directory. */
export const CONFIG_FILE = 'config.json';

/** Settings of the gateway server (`mcpmux serve`); command-line flags override them. */
export const ServeConfigSchema = z
  .object({
    /** Interface the gateway binds (default 127.0.0.1); `--host` overrides it. */
    host: z.string().min(1).optional(),
    /** Port of the gateway (default 45818; 0: any free port); `--port` overrides it. */
    port: z.int().min(0).max(65535).optional(),
    /** Open sessions per client; a client at the cap gets 429 for a new one. */
    maxSessionsPerClient: z.int().min(1).optional(),
    /** Open sessions in total; beyond it a new session gets 503. */
    maxSessions: z.int().min(1).optional(),
    /** Seconds without a request in flight or an open stream after which a session is closed. */
    sessionIdleTimeout: z.number().positive().optional(),
  })
  .strict();

/** Settings of the gateway server (`mcpmux serve`). */
export type ServeConfig = z.infer<typeof ServeConfigSchema>;

/** The home's settings file, `<home>/config.json`. Every key is optional; unknown keys are errors. */
export const HomeConfigSchema = z
  .object({
    /** Settings of the gateway server. */
    serve: ServeConfigSchema.optional(),
  })
  .strict();

/** The home's settings, `<home>/config.json`. */
export type HomeConfig = z.infer<typeof HomeConfigSchema>;

/**
 * Reads `<home>/config.json`, the home's settings (see {@link HomeConfigSchema}). A missing file
 * means no settings.
 *
 * @param home - the mcpmux home directory.
 * @returns the parsed settings; `{}` when the file does not exist.
 * @throws `INVALID_INPUT` naming the file and the field when the file is not JSON or a value is
 *   wrong (e.g. `.../config.json: serve.maxSessionsPerClient: ...`).
 * @example
 * ```ts
 * // <home>/config.json: { "serve": { "maxSessionsPerClient": 128, "sessionIdleTimeout": 600 } }
 * const config = await readHomeConfig('/home/me/.mcpmux');
 * config.serve?.maxSessionsPerClient; // 128
 * ```
 */
export async function readHomeConfig(home: string): Promise<HomeConfig> {
  const file = join(resolve(home), CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new McpmuxError(
      'INVALID_INPUT',
      `Cannot read ${file}: ${(err as Error).message}. Fix its permissions.`,
      {
        data: { file },
        cause: err,
      },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `${file} is not valid JSON (${(err as Error).message}). Fix the file or remove it.`,
      { data: { file } },
    );
  }
  const parsed = HomeConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).map(String);
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const field = path.join('.');
  throw new McpmuxError(
    'INVALID_INPUT',
    `${file}: ${field === '' ? 'the file' : field}: ${issue?.message ?? 'invalid value'}. Fix the value or remove it.`,
    { data: { file, field } },
  );
}
