/**
 * Remembers `GET /api/commitments/:id` answers (the owner and the serialized view) for a short while, so a
 * dashboard that polls a commitment costs a map lookup rather than two SQL queries and a chain read per open
 * milestone. What keeps a remembered view true:
 * - the store's change feed: a stored workout forgets the views of its owner, a written commitment those of its
 *   owner, a deleted commitment or a new rules document every view (`invalidate`). Changes are published after
 *   the commit, and a view computed while one lands is not remembered (each view carries the stamp of the moment
 *   its computation started; an invalidation raises the stamp a view must reach);
 * - time: a view is never served past the next instant at which it would read differently by the clock alone (a
 *   window opening, a claim deadline passing), nor longer than `ttlMs` by a monotonic timer;
 * - bounds: at most `maxEntries` views (least recently used dropped first) and `maxOwners` invalidation stamps
 *   (when full they are folded into one global stamp, which forgets every view older than them).
 * What it trades: with several agent replicas, a write on one replica reaches the views cached by another through
 * `invalidate` only when something relays it (assembleAgent relays store changes over Redis when `REDIS_URL` is
 * set); otherwise that replica may show the older view for at most `ttlMs` (`COMMITMENT_VIEW_CACHE_SECONDS`).
 * Chain state the store does not hold (a pause extending deadlines) is also at most `ttlMs` old.
 */
import type { Clock } from "../clock.ts";
import { LruMap } from "../lruMap.ts";
import type { StoreChange } from "../store/storeChanges.ts";
import type { CommitmentView } from "./describeCommitment.ts";

/** A view ready to send: the owner it belongs to (lower case) and its JSON body, UTF-8 encoded once. */
export interface CachedCommitmentView {
  owner: string;
  body: Buffer;
}

export interface CommitmentViewCache {
  /**
   * The view of commitment `id`: the remembered one while it is fresh, else `compute()`'s (remembered unless an
   * invalidation landed while it ran). Concurrent misses for one id share one computation, so `compute` must not
   * depend on who asks: the caller checks the owner on what it gets. What `compute` throws is thrown to every
   * caller sharing it and nothing is remembered.
   */
  get(id: bigint, compute: () => Promise<CommitmentView>): Promise<CachedCommitmentView>;
  /** Forgets the views a store change may have made stale. */
  invalidate(change: StoreChange): void;
  /** Views remembered now (for tests and metrics). */
  readonly size: number;
}

export interface CreateCommitmentViewCacheParameters {
  clock: Clock;
  /** How long a view is trusted without recomputing it, ms (> 0). */
  ttlMs: number;
  /** Most views remembered. Default 10,000 (a few KB each). */
  maxEntries?: number;
  /** Most per-owner invalidation stamps kept before they are folded into one. Default 100,000. */
  maxOwners?: number;
  /** Monotonic milliseconds; `performance.now` unless a test drives it. */
  monotonicNow?: () => number;
}

export const COMMITMENT_VIEW_CACHE_MAX_ENTRIES = 10_000;
export const COMMITMENT_VIEW_CACHE_MAX_OWNERS = 100_000;

interface Entry extends CachedCommitmentView {
  /** The stamp when its computation started. */
  stamp: number;
  /** Monotonic ms after which it is recomputed. */
  freshUntil: number;
  /** Clock ms from which it would read differently (next window start or claim deadline). */
  changesAt: number;
}

/** The first instant after `nowMs` at which the view's clock-dependent fields (claimable) can change. */
function nextChangeOf(view: CommitmentView, nowMs: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const milestone of view.milestones) {
    for (const iso of [milestone.windowStart, milestone.claimDeadline]) {
      const at = Date.parse(iso);
      if (at > nowMs && at < next) next = at;
    }
  }
  return next;
}

export function createCommitmentViewCache({
  clock,
  ttlMs,
  maxEntries = COMMITMENT_VIEW_CACHE_MAX_ENTRIES,
  maxOwners = COMMITMENT_VIEW_CACHE_MAX_OWNERS,
  monotonicNow = () => performance.now(),
}: CreateCommitmentViewCacheParameters): CommitmentViewCache {
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs))
    throw new RangeError(`ttlMs must be a positive number: ${ttlMs}`);
  for (const [name, value] of [
    ["maxEntries", maxEntries],
    ["maxOwners", maxOwners],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be a positive integer: ${value}`);
  }
  const entries = new LruMap<string, Entry>(maxEntries);
  /** Computations running, with the stamp each started at (joined only while no invalidation has landed). */
  const inFlight = new Map<string, { startedAt: number; promise: Promise<CachedCommitmentView> }>();
  /** Owner (lower case) → the stamp a view of theirs must have reached to be served. */
  const ownerStamps = new Map<string, number>();
  /** The stamp every view must have reached. */
  let floor = 0;
  let stamp = 0;

  const isValid = (entry: Entry): boolean =>
    entry.stamp >= floor && entry.stamp >= (ownerStamps.get(entry.owner) ?? 0);

  const forgetOwner = (owner: string) => {
    stamp += 1;
    if (ownerStamps.size >= maxOwners) {
      ownerStamps.clear();
      floor = stamp;
    } else {
      ownerStamps.set(owner.toLowerCase(), stamp);
    }
  };
  const forgetAll = () => {
    stamp += 1;
    floor = stamp;
    ownerStamps.clear();
    entries.clear();
  };

  const compute = async (
    key: string,
    startedAt: number,
    work: () => Promise<CommitmentView>,
  ): Promise<CachedCommitmentView> => {
    const view = await work();
    const owner = view.owner.toLowerCase();
    const entry: Entry = {
      owner,
      body: Buffer.from(JSON.stringify(view)),
      stamp: startedAt,
      freshUntil: monotonicNow() + ttlMs,
      changesAt: nextChangeOf(view, clock.now()),
    };
    if (isValid(entry)) entries.set(key, entry);
    return entry;
  };

  return {
    get: (id, work) => {
      const key = id.toString();
      const entry = entries.get(key);
      if (entry !== undefined) {
        if (isValid(entry) && monotonicNow() < entry.freshUntil && clock.now() < entry.changesAt) {
          return Promise.resolve(entry);
        }
        entries.delete(key);
      }
      const pending = inFlight.get(key);
      if (pending !== undefined && pending.startedAt === stamp) return pending.promise;
      const running = { startedAt: stamp, promise: compute(key, stamp, work) };
      inFlight.set(key, running);
      const forget = () => {
        if (inFlight.get(key) === running) inFlight.delete(key);
      };
      running.promise.then(forget, forget);
      return running.promise;
    },
    invalidate: (change) => {
      if (change.kind === "workouts") forgetOwner(change.owner);
      else if (change.kind === "commitment" && change.owner !== null) forgetOwner(change.owner);
      else forgetAll();
    },
    get size() {
      return entries.size;
    },
  };
}
