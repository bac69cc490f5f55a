/** A fixed-size set of feature indexes, one bit each. */
export type Bitset = Uint32Array;

export function createBitset(size: number): Bitset {
  return new Uint32Array((size + 31) >>> 5);
}

const CHUNK = 64;

/**
 * Hands out zeroed bitsets of one size as views into shared chunks: one backing store per 64
 * bitsets instead of one each, which is most of the cost of a cold resolve.
 */
export class BitsetArena {
  private readonly words: number;
  private chunk: Uint32Array = new Uint32Array(0);
  private next = 0;

  constructor(size: number) {
    this.words = (size + 31) >>> 5;
  }

  alloc(): Bitset {
    if (this.words === 0) return new Uint32Array(0);
    if (this.next >= this.chunk.length) {
      this.chunk = new Uint32Array(this.words * CHUNK);
      this.next = 0;
    }
    const start = this.next;
    this.next += this.words;
    return this.chunk.subarray(start, this.next);
  }
}

export function setBit(bits: Bitset, i: number): void {
  bits[i >>> 5]! |= 1 << (i & 31);
}

export function hasBit(bits: Bitset, i: number): boolean {
  return (bits[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/** Sets bits `start` (inclusive) to `end` (exclusive). */
export function setRange(bits: Bitset, start: number, end: number): void {
  for (let i = start; i < end; ) {
    if ((i & 31) === 0 && i + 32 <= end) {
      bits[i >>> 5] = 0xffffffff;
      i += 32;
    } else {
      setBit(bits, i);
      i++;
    }
  }
}

/** `target |= source`. */
export function orInto(target: Bitset, source: Bitset): void {
  for (let w = 0; w < target.length; w++) target[w]! |= source[w]!;
}

/** `target &= ~source`. */
export function andNotInto(target: Bitset, source: Bitset): void {
  for (let w = 0; w < target.length; w++) target[w]! &= ~source[w]!;
}

/** Calls `fn` for every set bit, in increasing order. */
export function forEachBit(bits: Bitset, fn: (i: number) => void): void {
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w]!;
    while (word !== 0) {
      const low = word & -word;
      fn((w << 5) + (31 - Math.clz32(low)));
      word ^= low;
    }
  }
}

export function isEmpty(bits: Bitset): boolean {
  for (let w = 0; w < bits.length; w++) if (bits[w] !== 0) return false;
  return true;
}

/**
 * A set of feature indexes: a dense {@link Bitset}, or, for the many selectors that match only a
 * few features, a sparse `Int32Array` of indexes (no 1-bit-per-feature allocation).
 */
export type Pool = Bitset | Int32Array;

/** The empty pool. Shared: never mutate. */
export const EMPTY_POOL: Pool = new Int32Array(0);

/** `target |= pool`. */
export function orPool(target: Bitset, pool: Pool): void {
  if (pool instanceof Int32Array) {
    for (let k = 0; k < pool.length; k++) {
      const i = pool[k]!;
      target[i >>> 5]! |= 1 << (i & 31);
    }
  } else {
    orInto(target, pool);
  }
}

/** True when `i` is in `pool`. */
export function poolHas(pool: Pool, i: number): boolean {
  return pool instanceof Int32Array ? pool.includes(i) : hasBit(pool, i);
}

/** True when `pool` holds nothing. */
export function poolIsEmpty(pool: Pool): boolean {
  return pool instanceof Int32Array ? pool.length === 0 : isEmpty(pool);
}
