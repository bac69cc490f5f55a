import type { AuditEventInput, SpaceStore } from '@mcpmux/space-store';
import type { GatewayLogger } from './logger.js';

/** Buffers audit events and appends them to the store in batches, off the request path. */
export class AuditBuffer {
  private buffer: AuditEventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<SpaceStore, 'appendAudit'>,
    private readonly logger: GatewayLogger,
    private readonly flushMs: number,
    private readonly maxBatch = 500,
  ) {}

  /** Queues one event; schedules a flush (never awaits the store). */
  push(event: AuditEventInput): void {
    this.buffer.push(event);
    if (this.buffer.length >= this.maxBatch) {
      void this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes every queued event; resolves when they are stored (or the write failed and was logged). */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    if (batch.length === 0) return this.flushing;
    this.buffer = [];
    this.flushing = this.flushing.then(() =>
      this.store.appendAudit(batch).catch((err: unknown) => {
        this.logger.error(
          {
            count: batch.length,
            error: err instanceof Error ? err.message : String(err),
          },
          'audit: could not append events',
        );
      }),
    );
    return this.flushing;
  }

  get pending(): number {
    return this.buffer.length;
  }
}
