// Event delivery of the simulated driver: a bounded queue flushed to the watchers through
// the injected timers (never synchronously inside the operation that caused the event).
// Owns: MdEvent ordering and delivery for one driver instance.
// Invariants:
// - Events reach every watcher in the order they were emitted.
// - At most MD_MAX_PENDING_EVENTS wait; beyond that the oldest are dropped and counted.
// - Events emitted while nobody watches are not kept (like sysfs notifications).
// - A watcher that throws is logged and does not stop delivery to the others.
import { MD_MAX_PENDING_EVENTS } from '../../common/limits.js';
import type { Logger } from '../../log/logger.js';
import type { WatchHandle } from '../driver.js';
import type { MdEvent } from '../types.js';
import type { SimTimerHandle, SimTimers } from './deps.js';

export class EventQueue {
  private queue: MdEvent[] = [];
  private readonly watchers = new Set<(event: MdEvent) => void>();
  private flushTimer: SimTimerHandle | null = null;
  /** Events dropped because the queue was full. */
  droppedEvents = 0;

  constructor(private readonly timers: SimTimers, private readonly logger: Logger) {}

  push(event: MdEvent): void {
    if (this.watchers.size === 0) return;
    if (this.queue.length >= MD_MAX_PENDING_EVENTS) {
      this.queue.shift();
      if (this.droppedEvents++ === 0) this.logger.warn('md event queue full; dropping the oldest events', { limit: MD_MAX_PENDING_EVENTS });
    }
    this.queue.push(event);
    if (this.flushTimer === null) this.flushTimer = this.timers.setTimeout(() => this.flush(), 0);
  }

  watch(onEvent: (event: MdEvent) => void): WatchHandle {
    this.watchers.add(onEvent);
    return { close: async () => { this.watchers.delete(onEvent); } };
  }

  close(): void {
    this.flushTimer?.cancel();
    this.flushTimer = null;
    this.queue = [];
    this.watchers.clear();
  }

  private flush(): void {
    this.flushTimer = null;
    const batch = this.queue;
    this.queue = [];
    for (const event of batch) {
      for (const w of [...this.watchers]) {
        try {
          w(event);
        } catch (e) {
          this.logger.error('md event watcher threw', { err: String(e), event: event.type });
        }
      }
    }
  }
}
