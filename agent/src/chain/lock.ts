/**
 * Single flight across replicas: a named lease held by one owner at a time until it is released or its TTL
 * runs out (so a crashed holder cannot block the others forever). Two implementations: `storeLock.ts` (the
 * store's `locks` table, when Redis is not configured) and `redisLock.ts`. Each Lock object is one owner;
 * acquiring a name it already holds renews the lease.
 */
import type { Logger } from "../logger.ts";

export interface Lock {
  /** Who holds the leases this object takes (unique per process). */
  readonly owner: string;
  /** True when this owner now holds `name` for `ttlMs` (newly, or renewed). Never waits. */
  tryAcquire(name: string, ttlMs: number): Promise<boolean>;
  /** Gives `name` back if this owner holds it (a no-op otherwise). */
  release(name: string): Promise<void>;
}

/**
 * Runs `work` holding the lease `name` (answers `skipped()` when another owner holds it); releases it after,
 * logging (not throwing) a failed release.
 */
export async function withLease<T>(
  lease: { lock: Lock; name: string; ttlMs: number; log: Pick<Logger, "warn"> },
  work: () => Promise<T>,
  skipped: () => T,
): Promise<T> {
  if (!(await lease.lock.tryAcquire(lease.name, lease.ttlMs))) return skipped();
  try {
    return await work();
  } finally {
    await lease.lock
      .release(lease.name)
      .catch((err: unknown) => lease.log.warn({ err, lock: lease.name }, "releasing the lease failed"));
  }
}
