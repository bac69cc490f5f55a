// A table of the in-memory repo: rows by primary key, unique indexes, and writes that log their undo.
// Rows are immutable records of primitives (times as ms, JSON as text), so a row is never copied
// inside the repo; updates put a new record in its place.

/** A primary or unique key. */
export type RowKey = string | number;

/** Undo steps of one write transaction, applied newest first on rollback. */
export type UndoLog = (() => void)[];

/** An error for what SQL would refuse with a constraint violation: an engine bug, never a user error. */
export function integrityError(message: string): Error {
  return new Error(`In-memory store integrity violation: ${message}. This is a bug in the store engine.`);
}

/** One table: a map of rows, kept in ascending order of numeric keys, with unique indexes. */
export class MemoryTable<R> {
  private readonly rows = new Map<RowKey, R>();
  private readonly indexes: Map<string, RowKey>[];
  private maxKey = Number.NEGATIVE_INFINITY;
  private unsorted = false;

  constructor(
    readonly name: string,
    readonly keyOf: (row: R) => RowKey,
    private readonly uniques: readonly ((row: R) => string)[] = [],
  ) {
    this.indexes = uniques.map(() => new Map());
  }

  get size(): number {
    return this.rows.size;
  }

  get(key: RowKey): R | undefined {
    return this.rows.get(key);
  }

  /** The row whose unique index `index` (its position in the constructor's list) holds `value`. */
  getUnique(index: number, value: string): R | undefined {
    const key = this.indexes[index]?.get(value);
    return key === undefined ? undefined : this.rows.get(key);
  }

  /** Every row; numeric keys ascending (the insertion order of autoincremented ids). */
  values(): IterableIterator<R> {
    if (this.unsorted) this.resort();
    return this.rows.values();
  }

  /** Inserts a row; throws when its primary or a unique key is taken. */
  insert(row: R, undo: UndoLog): void {
    const key = this.keyOf(row);
    if (this.rows.has(key)) throw integrityError(`${this.name} ${JSON.stringify(key)} exists already`);
    this.checkUniques(row, key);
    this.set(key, row);
    undo.push(() => this.remove(key));
  }

  /** Replaces the row with the same primary key; a missing row is left missing (as SQL `UPDATE`). */
  replace(row: R, undo: UndoLog): void {
    const key = this.keyOf(row);
    const previous = this.rows.get(key);
    if (previous === undefined) return;
    this.checkUniques(row, key);
    this.set(key, row);
    undo.push(() => this.set(key, previous));
  }

  /** Deletes the row with this key; returns whether it existed. */
  delete(key: RowKey, undo: UndoLog): boolean {
    const previous = this.rows.get(key);
    if (previous === undefined) return false;
    this.remove(key);
    undo.push(() => this.set(key, previous));
    return true;
  }

  /** Deletes every row `test` accepts; returns how many. */
  deleteWhere(test: (row: R) => boolean, undo: UndoLog): number {
    const doomed: RowKey[] = [];
    for (const row of this.rows.values()) if (test(row)) doomed.push(this.keyOf(row));
    for (const key of doomed) this.delete(key, undo);
    return doomed.length;
  }

  private checkUniques(row: R, key: RowKey): void {
    for (let i = 0; i < this.uniques.length; i++) {
      const value = this.uniques[i]!(row);
      const holder = this.indexes[i]!.get(value);
      if (holder !== undefined && holder !== key) {
        throw integrityError(`${this.name} unique key ${JSON.stringify(value)} is taken`);
      }
    }
  }

  private set(key: RowKey, row: R): void {
    const previous = this.rows.get(key);
    if (previous !== undefined) this.unindex(previous);
    else if (typeof key === 'number') {
      // A row put back by a rollback lands at the end of the map: reorder before the next listing.
      if (key < this.maxKey) this.unsorted = true;
      else this.maxKey = key;
    }
    this.rows.set(key, row);
    for (let i = 0; i < this.uniques.length; i++) this.indexes[i]!.set(this.uniques[i]!(row), key);
  }

  private remove(key: RowKey): void {
    const previous = this.rows.get(key);
    if (previous === undefined) return;
    this.unindex(previous);
    this.rows.delete(key);
  }

  private unindex(row: R): void {
    for (let i = 0; i < this.uniques.length; i++) this.indexes[i]!.delete(this.uniques[i]!(row));
  }

  private resort(): void {
    const entries = [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.rows.clear();
    for (const [k, v] of entries) this.rows.set(k, v);
    this.unsorted = false;
  }
}
