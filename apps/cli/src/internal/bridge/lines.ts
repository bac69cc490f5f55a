// Newline framing for the relay: whole lines out of a byte stream, with a bound on how much of one
// line is held. A longer line is passed through in pieces (the gateway answers it with its own
// line-length error), so the bridge's memory stays bounded whatever an app writes.

const NEWLINE = 0x0a;

/** What {@link LineSplitter.push} found in a chunk. */
export interface LineSink {
  /** One whole line (without its newline). */
  line(line: Buffer): void;
  /** A piece of a line longer than the limit (no newline); `end` is true when the line ends after it. */
  overflow(piece: Buffer, end: boolean): void;
}

/** Splits a byte stream into lines, holding at most `maxLineBytes` of an unfinished line. */
export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #overflowing = false;

  constructor(readonly maxLineBytes: number) {}

  /** Feeds one chunk; calls `sink` for every whole line and overflow piece in it. */
  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      if (this.#overflowing) {
        if (end === -1) {
          sink.overflow(chunk.subarray(start), false);
          return;
        }
        sink.overflow(chunk.subarray(start, end), true);
        this.#overflowing = false;
        start = end + 1;
        continue;
      }
      if (end === -1) {
        this.#hold(chunk.subarray(start), sink);
        return;
      }
      const piece = chunk.subarray(start, end);
      start = end + 1;
      if (this.#pendingBytes + piece.length > this.maxLineBytes) {
        sink.overflow(this.#take(piece), true);
        continue;
      }
      sink.line(this.#take(piece));
    }
  }

  /** Drops an unfinished line (the connection it came from is gone). */
  reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#overflowing = false;
  }

  #hold(rest: Buffer, sink: LineSink): void {
    if (this.#pendingBytes + rest.length > this.maxLineBytes) {
      this.#overflowing = true;
      sink.overflow(this.#take(rest), false);
      return;
    }
    // Copy: the stream may reuse the chunk's memory.
    this.#pending.push(Buffer.from(rest));
    this.#pendingBytes += rest.length;
  }

  /** The held bytes followed by `piece`, and nothing held any more. */
  #take(piece: Buffer): Buffer {
    if (this.#pending.length === 0) return piece;
    const whole = Buffer.concat([...this.#pending, piece]);
    this.#pending = [];
    this.#pendingBytes = 0;
    return whole;
  }
}
