/**
 * The keeper's, challenge settler's and auto-settle's run shape: `runOnce` does the work holding a lease (single
 * flight across replicas; `skipped()` when another owner holds it), and `start(intervalMs)`/`stop()` poll
 * `runOnce` in the background, running again at once while `again(result)` says more is due.
 */
import type { Logger } from "../logger.ts";
import { type HeldLease, type Lock, withLease } from "./lock.ts";
import { type BackgroundTask, createBackgroundTask } from "./pollLoop.ts";
import type { Sleep } from "./sleep.ts";

export interface CreateLeasedTaskParameters<T> {
  /** The background loop's name (its logs and `<name>.run` spans). */
  name: string;
  lease: { lock: Lock; name: string; ttlMs: number; log: Logger };
  /** The run, handed its lease (`held.lost`: another replica took it; stop starting new work). */
  work: (held: HeldLease) => Promise<T>;
  /** The result when another owner holds the lease. */
  skipped: () => T;
  /** More is due after this result: the loop runs again without waiting. Default never. */
  again?: (result: T) => boolean;
  sleep?: Sleep | undefined;
}

export interface LeasedTask<T> extends BackgroundTask {
  /** One run under the lease. */
  runOnce(): Promise<T>;
}

export function createLeasedTask<T>({
  name,
  lease,
  work,
  skipped,
  again,
  sleep,
}: CreateLeasedTaskParameters<T>): LeasedTask<T> {
  const runOnce = () => withLease(lease, work, skipped);
  const task = createBackgroundTask({
    name,
    logger: lease.log,
    run: async () => {
      const result = await runOnce();
      return { again: again?.(result) ?? false };
    },
    sleep,
  });
  return { runOnce, start: task.start, stop: task.stop };
}
