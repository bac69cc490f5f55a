// The kinds of store change, without zod (the engine needs the list on every watch); `types.ts`
// builds `ChangeKindSchema` from it.

/** The list of every {@link ChangeKind}. */
export const CHANGE_KINDS = [
  'space',
  'active-space',
  'server',
  'installation',
  'featureset',
  'client',
  'grant',
  'discovered',
  'secret',
] as const;

/** What a store change touched: `space`, `active-space`, `server`, `installation`, ... */
export type ChangeKind = (typeof CHANGE_KINDS)[number];
