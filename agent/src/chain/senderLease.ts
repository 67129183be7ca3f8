/**
 * One sender per operator account across replicas. Every replica sends from the same operator key, and each
 * hands out nonces in-process: without a shared lease two replicas signed the same nonce for different
 * milestones, one broadcast was refused ("nonce too low"), and that one resynced and signed again (the load
 * test's 200 users: 66-77 such conflicts a run, a claim failing after its third). Under the lease a replica picks
 * the nonce from the chain's pending count, signs, records and broadcasts, then gives the lease back; the next
 * holder reads the pending count again, which now includes that transaction.
 *
 * The lease is the store's (`locks` table): sending needs the store anyway (each attempt is recorded before it
 * is broadcast), so it adds no dependency (a Redis outage does not stop settlements). Waiting is bounded: after
 * `waitMs` from when its turn in this process's queue came (sends are serialised in-process), the send fails with
 * a DependencyError `sender_busy` (retryable; a 503 with Retry-After on HTTP).
 *
 * Fair turns: a waiting replica polls (every 200 ms at most), while the holder, with sends queued, gave the lease
 * back and took it again within a millisecond, so one replica's queue of background claims (auto-settle, 8 at a
 * time) kept the other's user claim out for 10 s: the 10,000-user run's one 503 `sender_busy`. A process that has
 * taken the lease back to back for `fairShareMs` now waits `yieldMs` (longer than a waiter's poll) before taking
 * it again, so every waiting replica gets a turn.
 */
import { DependencyError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type Lock, withLease } from "./lock.ts";
import type { Sleep } from "./sleep.ts";

export interface SenderLease {
  /** Runs `work` holding the account's lease (waiting for it at most `waitMs`). */
  run<T>(work: () => Promise<T>): Promise<T>;
}

export interface CreateSenderLeaseParameters {
  lock: Lock;
  chainId: number;
  /** The sending account. */
  address: string;
  log: Pick<Logger, "warn">;
  sleep: Sleep;
  /** Held at most this long without a renewal (a replica killed holding it blocks the others this long). Default 15 s. */
  ttlMs?: number;
  /** Longest wait for the lease before `sender_busy`. Default 10 s. */
  waitMs?: number;
  /** Holding the lease back to back this long, the process lets the others in before its next send. Default 1 s. */
  fairShareMs?: number;
  /** How long it lets them in (longer than a waiter's longest poll interval). Default 300 ms. */
  yieldMs?: number;
  /** Milliseconds, monotonic (default `performance.now`). */
  now?: () => number;
}

/** First retry after this long, doubling up to `MAX_RETRY_MS`. */
const FIRST_RETRY_MS = 10;
const MAX_RETRY_MS = 200;

export function senderLeaseName(chainId: number, address: string): string {
  return `sender:${chainId}:${address.toLowerCase()}`;
}

export function createSenderLease({
  lock,
  chainId,
  address,
  log,
  sleep,
  ttlMs = 15_000,
  waitMs = 10_000,
  fairShareMs = 1_000,
  yieldMs = MAX_RETRY_MS + 100,
  now = () => performance.now(),
}: CreateSenderLeaseParameters): SenderLease {
  const name = senderLeaseName(chainId, address);
  const busy = () =>
    new DependencyError({
      code: "sender_busy",
      message: "Another replica is sending from the operator account; try again shortly.",
      details: { operation: "send", waitedMs: waitMs },
    });
  /** When this process began taking the lease back to back (none: the others had a chance since). */
  let streakStart: number | undefined;
  let lastReleased = Number.NEGATIVE_INFINITY;
  const hold = async <T>(work: () => Promise<T>): Promise<T> => {
    streakStart ??= now();
    try {
      return await withLease({ lock, name, ttlMs, log }, work, () => {
        throw busy();
      });
    } finally {
      lastReleased = now();
    }
  };
  return {
    async run(work) {
      if (now() - lastReleased > yieldMs) streakStart = undefined;
      if (streakStart !== undefined && now() - streakStart >= fairShareMs) {
        streakStart = undefined;
        await sleep(yieldMs);
      }
      // Bounded by the sum of the waits (not by a clock, which tests and a chain clock may hold still).
      let waited = 0;
      for (let delay = FIRST_RETRY_MS; ; delay = Math.min(MAX_RETRY_MS, delay * 2)) {
        if (await lock.tryAcquire(name, ttlMs)) return hold(work);
        streakStart = undefined; // another holds it: the others are having their turn
        if (waited >= waitMs) throw busy();
        await sleep(delay);
        waited += delay;
      }
    },
  };
}
