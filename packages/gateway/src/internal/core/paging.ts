/** Paging of the lists the gateway serves: opaque cursors that carry an offset. */
import { ProtocolErrorCode as ErrorCode, ProtocolError } from '@modelcontextprotocol/server';

/** The result key of each list the gateway serves. */
export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

/**
 * The cursor of the page that starts at `offset`.
 * @example encodeCursor(500) // 'bzo1MDA'
 */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

/**
 * The offset a cursor from {@link encodeCursor} carries (0 without a cursor).
 * @throws `ProtocolError` InvalidParams (-32602) when the cursor is not one this gateway issued.
 */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const text = Buffer.from(cursor, 'base64url').toString();
  const offset = text.startsWith('o:') ? Number(text.slice(2)) : Number.NaN;
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new ProtocolError(
      ErrorCode.InvalidParams,
      'Invalid params: cursor must be a nextCursor from this list; list again without a cursor',
    );
  return offset;
}

/**
 * One page of a list result: `{ [key]: items, nextCursor? }`.
 *
 * @param items - the whole list.
 * @param cursor - the request's cursor (undefined: the first page).
 * @param key - the result key of the list.
 * @param pageSize - items per page.
 * @throws `ProtocolError` InvalidParams for a cursor this gateway did not issue.
 */
export function page<T>(
  items: readonly T[],
  cursor: string | undefined,
  key: ListKind,
  pageSize: number,
): Record<string, unknown> {
  const offset = decodeCursor(cursor);
  const end = offset + pageSize;
  const result: Record<string, unknown> = { [key]: items.slice(offset, end) };
  if (end < items.length) result.nextCursor = encodeCursor(end);
  return result;
}
