/**
 * Remembers `GET /api/commitments/:id` answers (the owner and the serialized view) for a short while, so a
 * dashboard that polls a commitment costs a map lookup rather than two SQL queries and a chain read per open
 * milestone. What keeps a remembered view true:
 * - the store's change feed (`invalidate`): a stored workout forgets the views of its owner; a written or deleted
 *   commitment forgets its own view and its owner's views (an indexer upsert after a reorg may change the owner);
 *   a stored rules document forgets the views that showed their rules as unknown. Changes are published after
 *   the commit, and a view computed while one lands is not remembered (each view carries the stamp of the moment
 *   its computation started; an invalidation raises the stamp a view must reach);
 * - time: a view is never served past the next instant at which it would read differently by the clock alone (a
 *   window opening, a claim deadline passing), nor longer than `ttlMs` by a monotonic timer;
 * - bounds: at most `maxEntries` views (least recently used dropped first) and `maxStamps` invalidation stamps
 *   of owners and commitments (when full they are folded into one global stamp, which forgets every older view).
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
  /** The remembered view of commitment `id` while it is fresh, else undefined (nothing is computed). */
  peek(id: bigint): CachedCommitmentView | undefined;
  /**
   * The view of commitment `id`: the remembered one while it is fresh, else `compute()`'s (remembered unless an
   * invalidation landed while it ran). Concurrent misses for one id share one computation, so `compute` must not
   * depend on who asks: the caller checks the owner on what it gets. What `compute` throws is thrown to every
   * caller sharing it and nothing is remembered.
   */
  get(id: bigint, compute: () => Promise<CommitmentView>): Promise<CachedCommitmentView>;
  /** Forgets the views a store change may have made stale. */
  invalidate(change: StoreChange): void;
  /** Views remembered now. */
  readonly size: number;
}

export interface CreateCommitmentViewCacheParameters {
  clock: Clock;
  /** How long a view is trusted without recomputing it, ms (> 0). */
  ttlMs: number;
  /** Most views remembered. Default 10,000 (a few KB each). */
  maxEntries?: number;
  /** Most per-owner and per-commitment invalidation stamps kept before they are folded into one. Default 100,000. */
  maxStamps?: number;
  /** Monotonic milliseconds; `performance.now` unless a test drives it. */
  monotonicNow?: () => number;
}

export const COMMITMENT_VIEW_CACHE_MAX_ENTRIES = 10_000;
export const COMMITMENT_VIEW_CACHE_MAX_STAMPS = 100_000;

interface Entry extends CachedCommitmentView {
  /** The commitment id, decimal. */
  id: string;
  /** Whether it showed the rules document (a stored document cannot change a view that already had it). */
  rulesKnown: boolean;
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
    // A window's end makes it appealable; its claim deadline ends both claim and appeal.
    for (const iso of [milestone.windowStart, milestone.windowEnd, milestone.claimDeadline]) {
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
  maxStamps = COMMITMENT_VIEW_CACHE_MAX_STAMPS,
  monotonicNow = () => performance.now(),
}: CreateCommitmentViewCacheParameters): CommitmentViewCache {
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs))
    throw new RangeError(`ttlMs must be a positive number: ${ttlMs}`);
  for (const [name, value] of [
    ["maxEntries", maxEntries],
    ["maxStamps", maxStamps],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be a positive integer: ${value}`);
  }
  const entries = new LruMap<string, Entry>(maxEntries);
  /** Computations running, with the stamp each started at (joined only while no invalidation has landed). */
  const inFlight = new Map<string, { startedAt: number; promise: Promise<CachedCommitmentView> }>();
  /** `owner:<address>` or `id:<commitment id>` → the stamp a view of that owner or commitment must have reached. */
  const stamps = new Map<string, number>();
  /** The stamp every view must have reached. */
  let floor = 0;
  /** The stamp a view that showed its rules as unknown must have reached. */
  let rulesFloor = 0;
  let stamp = 0;

  const isValid = (entry: Entry): boolean =>
    entry.stamp >= floor &&
    (entry.rulesKnown || entry.stamp >= rulesFloor) &&
    entry.stamp >= (stamps.get(`owner:${entry.owner}`) ?? 0) &&
    entry.stamp >= (stamps.get(`id:${entry.id}`) ?? 0);

  const forget = (...keys: string[]) => {
    stamp += 1;
    if (stamps.size + keys.length > maxStamps) {
      stamps.clear();
      floor = stamp;
      return;
    }
    for (const key of keys) stamps.set(key, stamp);
  };

  const fresh = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (isValid(entry) && monotonicNow() < entry.freshUntil && clock.now() < entry.changesAt) return entry;
    entries.delete(key);
    return undefined;
  };

  const compute = async (
    key: string,
    startedAt: number,
    work: () => Promise<CommitmentView>,
  ): Promise<CachedCommitmentView> => {
    // Read before the view is: a window opening or a deadline passing while it is built still ends it.
    const startedMs = clock.now();
    const startedMonotonic = monotonicNow();
    const view = await work();
    const entry: Entry = {
      id: key,
      owner: view.owner.toLowerCase(),
      body: Buffer.from(JSON.stringify(view)),
      rulesKnown: view.rulesKnown,
      stamp: startedAt,
      freshUntil: startedMonotonic + ttlMs,
      changesAt: nextChangeOf(view, startedMs),
    };
    if (isValid(entry)) entries.set(key, entry);
    return entry;
  };

  return {
    peek: (id) => fresh(id.toString()),
    get: (id, work) => {
      const key = id.toString();
      const entry = fresh(key);
      if (entry !== undefined) return Promise.resolve(entry);
      const pending = inFlight.get(key);
      if (pending !== undefined && pending.startedAt === stamp) return pending.promise;
      const running = { startedAt: stamp, promise: compute(key, stamp, work) };
      inFlight.set(key, running);
      const settled = () => {
        if (inFlight.get(key) === running) inFlight.delete(key);
      };
      running.promise.then(settled, settled);
      return running.promise;
    },
    invalidate: (change) => {
      if (change.kind === "workouts") {
        forget(`owner:${change.owner.toLowerCase()}`);
      } else if (change.kind === "commitment") {
        // Its own view (whoever owned it before) and, when known, its owner's.
        const keys = [`id:${change.commitmentId}`];
        if (change.owner !== null) keys.push(`owner:${change.owner.toLowerCase()}`);
        forget(...keys);
      } else {
        stamp += 1;
        rulesFloor = stamp;
      }
    },
    get size() {
      return entries.size;
    },
  };
}
