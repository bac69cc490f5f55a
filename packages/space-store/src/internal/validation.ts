// Parsing of the store's structured arguments (inputs, patches, options) with the zod schemas of
// `input-schemas.ts`, loaded on the first call: opening a store and reading it load no zod (~100 ms a
// short-lived command would pay); ids are checked by hand (`rules/input.ts`).
import { parseOrThrow } from '@mcpmux/core';
import type { z } from 'zod';
import type * as InputSchemas from './input-schemas.js';

type Schemas = typeof InputSchemas;
/** The name of a schema of `input-schemas.ts`. */
export type SchemaName = {
  [K in keyof Schemas]: Schemas[K] extends z.ZodType ? K : never;
}[keyof Schemas];

let loading: Promise<Schemas> | undefined;

/** The input schemas (loaded once, on first use). */
export function inputSchemas(): Promise<Schemas> {
  loading ??= import('./input-schemas.js');
  return loading;
}

/**
 * Parses `value` with the input schema `name`, or throws the `INVALID_INPUT` error of
 * `parseOrThrow` naming the failing field under `what`.
 */
export async function parseInput<K extends SchemaName>(
  name: K,
  value: unknown,
  what: string,
): Promise<z.output<Schemas[K]>> {
  const schemas = await inputSchemas();
  return parseOrThrow(schemas[name] as z.ZodType, value, what) as z.output<Schemas[K]>;
}
