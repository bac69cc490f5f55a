import type { z } from 'zod';
import type {
  ServerDefinitionInput,
  ServerDefinitionInputSchema,
  ServerInput,
  ServerTransport,
} from '../../types.js';
import { refuseSecretInArgv } from '../argv-secrets.js';
import { invalid } from '../errors.js';
import { parseInput } from '../validation.js';

/** A server definition input after parsing and the rules that need no stored data. */
export type ParsedDefinition = z.infer<typeof ServerDefinitionInputSchema>;

/** A templated map of values checked against declared secret inputs, with its field path. */
export interface CheckedMap {
  field: string;
  values: Record<string, string> | undefined;
}

/** True when a value carries a `${secret:...}` or `${env:...}` reference. */
export function isReference(value: string): boolean {
  return /\$\{(secret|env):[^}]+\}/.test(value);
}

/**
 * Refuses literal values for declared secret inputs: they belong in the vault, referenced as
 * `${secret:NAME}`.
 * @throws `INVALID_INPUT` naming `<field>.<input>`.
 */
export function checkSecretInputs(inputs: readonly ServerInput[], maps: readonly CheckedMap[]): void {
  for (const input of inputs) {
    if (!input.secret) continue;
    for (const { field, values } of maps) {
      const value = values?.[input.name];
      if (value !== undefined && !isReference(value)) {
        throw invalid(
          `${field}.${input.name}`,
          `"${input.name}" is a secret input: store it with \`mcpmux secret set\` and reference it as \${secret:${input.name}}`,
        );
      }
    }
  }
}

/** The map of a transport that may carry secret inputs (`env` for stdio, `headers` otherwise). */
export function transportMaps(prefix: string, transport: ServerTransport): CheckedMap[] {
  return transport.type === 'stdio'
    ? [{ field: `${prefix}.env`, values: transport.env }]
    : [{ field: `${prefix}.headers`, values: transport.headers }];
}

/**
 * Checks a definition's transport against its declared inputs: no literal secret values, no
 * `${secret:...}` on a stdio command line.
 * @throws `INVALID_INPUT`.
 */
export function checkDefinition(
  field: string,
  transport: ServerTransport,
  inputs: readonly ServerInput[],
): void {
  checkSecretInputs(inputs, transportMaps(`${field}.transport`, transport));
  if (transport.type === 'stdio') refuseSecretInArgv(`${field}.transport`, transport);
}

/** Parses a new definition and applies the rules that need no stored data. @throws `INVALID_INPUT` */
export async function parseDefinition(def: ServerDefinitionInput, field: string): Promise<ParsedDefinition> {
  const v = await parseInput('ServerDefinitionInputSchema', def, field);
  checkDefinition(field, v.transport, v.inputs);
  return v;
}
