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

/** A lease this owner holds, renewed every third of its TTL until it is released. */
export interface HeldLease {
  /**
   * True once a renewal found the name held by another owner (this one's lease lapsed, under load or a stalled
   * process, and was taken): work done under it from then on is no longer single-flight and should stop. A
   * renewal that fails (the backend is down) does not set it: nobody else can take the lease then either.
   */
  readonly lost: boolean;
  /** Stops renewing and gives the lease back (a failed release is logged, never thrown). */
  release(): Promise<void>;
}

/**
 * Keeps a lease just taken (`tryAcquire` answered true) renewed until `release()`, so its TTL can be short: a
 * replica that dies holding it (kill -9, a crash) blocks the others for one short TTL, not for as long as the
 * longest holding could last (the load test saw 10-minute leases of a killed replica stop auto-settle and the
 * keeper on the survivor, and a 15-minute claim lease keep a met milestone unclaimed past its deadline).
 */
export function keepRenewed(lease: {
  lock: Lock;
  name: string;
  ttlMs: number;
  log: Pick<Logger, "warn">;
}): HeldLease {
  let lost = false;
  const renewal = setInterval(
    () =>
      void lease.lock.tryAcquire(lease.name, lease.ttlMs).then(
        (held) => {
          // A renewal still in flight when the lease was released answers about a lease no longer held.
          if (held || lost || released !== undefined) return;
          lost = true;
          lease.log.warn({ lock: lease.name }, "the lease lapsed and another owner holds it");
        },
        (err: unknown) => lease.log.warn({ err, lock: lease.name }, "renewing the lease failed"),
      ),
    Math.max(100, Math.floor(lease.ttlMs / 3)),
  );
  renewal.unref();
  let released: Promise<void> | undefined;
  return {
    get lost() {
      return lost;
    },
    release: () => {
      clearInterval(renewal);
      released ??= lease.lock
        .release(lease.name)
        .catch((err: unknown) => lease.log.warn({ err, lock: lease.name }, "releasing the lease failed"));
      return released;
    },
  };
}

/**
 * Runs `work` holding the lease `name` (answers `skipped()` when another owner holds it), renewed while the work
 * runs (`keepRenewed`; `work` is handed the held lease, to stop when it is `lost`), and released after.
 */
export async function withLease<T>(
  lease: { lock: Lock; name: string; ttlMs: number; log: Pick<Logger, "warn"> },
  work: (held: HeldLease) => Promise<T>,
  skipped: () => T,
): Promise<T> {
  if (!(await lease.lock.tryAcquire(lease.name, lease.ttlMs))) return skipped();
  const held = keepRenewed(lease);
  try {
    return await work(held);
  } finally {
    await held.release();
  }
}
