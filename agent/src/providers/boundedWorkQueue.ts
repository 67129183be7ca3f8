/**
 * A bounded in-process work queue: at most `capacity` items wait, `concurrency` run at a time. `push` never
 * blocks and never grows the queue past its bound: when it is full (or closed) the item is refused and the
 * caller decides what that means (for provider webhooks: drop with a warning, reconciliation catches up).
 * A failing item is logged and does not stop the queue.
 */
import type { Logger } from "../logger.ts";

export interface BoundedWorkQueueParameters<T> {
  /** Items waiting at most (running ones not included). */
  capacity: number;
  /** Items processed at the same time. Default 1. */
  concurrency?: number;
  handle: (item: T) => Promise<void>;
  logger: Logger;
  /** Label for log lines. */
  name: string;
}

export interface BoundedWorkQueue<T> {
  /** Enqueues `item`; false when the queue is full or closed (the item is not kept). */
  push(item: T): boolean;
  /** Items waiting (not yet started). */
  readonly size: number;
  /** Items being processed. */
  readonly running: number;
  /** Resolves once nothing waits and nothing runs. */
  idle(): Promise<void>;
  /** Refuses new items, drops the waiting ones, and resolves when the running ones have finished. */
  close(): Promise<void>;
}

export function createBoundedWorkQueue<T>({
  capacity,
  concurrency = 1,
  handle,
  logger,
  name,
}: BoundedWorkQueueParameters<T>): BoundedWorkQueue<T> {
  const limit = Math.max(1, Math.floor(capacity));
  const parallel = Math.max(1, Math.floor(concurrency));
  const waiting: T[] = [];
  let running = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (running > 0 || waiting.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const pump = () => {
    while (running < parallel && waiting.length > 0) {
      const item = waiting.shift() as T;
      running += 1;
      void (async () => {
        try {
          await handle(item);
        } catch (error) {
          logger.error({ err: error, queue: name }, "queued work failed");
        } finally {
          running -= 1;
          if (!closed) pump();
          settleIdle();
        }
      })();
    }
  };

  return {
    push: (item) => {
      if (closed || waiting.length >= limit) return false;
      waiting.push(item);
      // Start on the next tick, so a caller answering an HTTP request is not held up by the work.
      setImmediate(pump);
      return true;
    },
    get size() {
      return waiting.length;
    },
    get running() {
      return running;
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        // Let a pending pump start first, so `push` then `idle` waits for the item.
        setImmediate(settleIdle);
      }),
    close: async () => {
      closed = true;
      waiting.length = 0;
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
  };
}
