import { McpmuxError } from '@mcpmux/core';

const hints: Record<string, (id: string, spaceId?: string) => string> = {
  space: () => 'Run `mcpmux space list` to see the Spaces.',
  server: () => 'Run `mcpmux server list` to see the servers.',
  client: () => 'Run `mcpmux client list` to see the clients.',
  featureset: (_id, spaceId) =>
    `Run \`mcpmux featureset list${spaceId === undefined ? '' : ` --space ${spaceId}`}\` to see the sets.`,
  installation: (_id, spaceId) =>
    `Run \`mcpmux server list${spaceId === undefined ? '' : ` --space ${spaceId}`}\` to see what is installed.`,
};

const labels: Record<string, string> = {
  space: 'Space',
  server: 'Server',
  client: 'Client',
  featureset: 'FeatureSet',
  installation: 'Server',
};

/** A NOT_FOUND error naming the entity and what to run. */
export function notFound(
  entity: 'space' | 'server' | 'client' | 'featureset' | 'installation',
  id: string,
  spaceId?: string,
): McpmuxError {
  const where =
    spaceId === undefined
      ? ''
      : entity === 'installation'
        ? ` is not installed in Space "${spaceId}"`
        : ` in Space "${spaceId}"`;
  const what =
    entity === 'installation'
      ? `${labels[entity]} "${id}"${where}.`
      : `${labels[entity]} "${id}" does not exist${where}.`;
  return new McpmuxError('NOT_FOUND', `${what} ${hints[entity]?.(id, spaceId) ?? ''}`.trim(), {
    data: spaceId === undefined ? { entity, id } : { entity, id, spaceId },
  });
}

/** A CONFLICT error. */
export function conflict(message: string, data: Record<string, unknown>): McpmuxError {
  return new McpmuxError('CONFLICT', message, { data });
}

/** A FORBIDDEN error. */
export function forbidden(message: string, data: Record<string, unknown>): McpmuxError {
  return new McpmuxError('FORBIDDEN', message, { data });
}

/** An INVALID_INPUT error naming the field. */
export function invalid(field: string, message: string): McpmuxError {
  return new McpmuxError('INVALID_INPUT', `${field}: ${message}`, { data: { field } });
}
