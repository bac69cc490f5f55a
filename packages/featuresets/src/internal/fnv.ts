/**
 * FNV-1a 64-bit over UTF-8 bytes, in pure JS with four 16-bit limbs (no BigInt on the hot path).
 * Feed strings with {@link Fnv1a64.update}, read 16 hex digits with {@link Fnv1a64.digest}.
 */
export class Fnv1a64 {
  // offset basis 0xcbf29ce484222325, low limb first
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  private byte(b: number): void {
    this.h0 ^= b;
    // multiply by the prime 0x100000001b3 = 2^40 + 0x1b3
    const t0 = this.h0 * 0x1b3;
    const t1 = this.h1 * 0x1b3;
    const t2 = this.h2 * 0x1b3 + (this.h0 << 8);
    const t3 = this.h3 * 0x1b3 + (this.h1 << 8);
    const c1 = t1 + (t0 >>> 16);
    const c2 = t2 + (c1 >>> 16);
    this.h0 = t0 & 0xffff;
    this.h1 = c1 & 0xffff;
    this.h2 = c2 & 0xffff;
    this.h3 = (t3 + (c2 >>> 16)) & 0xffff;
  }

  update(text: string): this {
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate: U+FFFD, as TextEncoder does
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
      } else if (c < 0x10000) {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
      } else {
        this.byte(0xf0 | (c >> 18));
        this.byte(0x80 | ((c >> 12) & 0x3f));
        this.byte(0x80 | ((c >> 6) & 0x3f));
      }
      this.byte(0x80 | (c & 0x3f));
    }
    return this;
  }

  digest(): string {
    const hex = (n: number): string => n.toString(16).padStart(4, '0');
    return hex(this.h3) + hex(this.h2) + hex(this.h1) + hex(this.h0);
  }
}
