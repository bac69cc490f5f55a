/** A fixed-size set of feature indexes, one bit each. */
export type Bitset = Uint32Array;

export function createBitset(size: number): Bitset {
  return new Uint32Array((size + 31) >>> 5);
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
