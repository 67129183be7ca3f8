/**
 * A `SessionStore` that remembers the sessions it has read for a short while, so a signed-in burst of requests
 * (the web app's dashboard polls, a page that loads five resources) costs one session lookup rather than one per
 * request. What it remembers, and what it does not:
 * - only sessions that exist: an unknown id is asked again every time, so a fresh sign-in is seen at once;
 * - never past the session's own `expiresAt` (by the injected clock), nor longer than `ttlMs` (by a monotonic
 *   timer, so a frozen test clock cannot keep an entry forever);
 * - at most `maxEntries`, least recently used dropped first;
 * - a sign-out through this instance forgets the session before the store is asked to delete it.
 * The one thing it trades: with several agent replicas, a session signed out on one replica may still be accepted
 * by another for at most `ttlMs` (docs/operations.md, `SESSION_CACHE_SECONDS`).
 */
import type { Clock } from "../clock.ts";
import { LruMap } from "../lruMap.ts";
import type { Session, SessionStore } from "./stores.ts";

export interface CachedSessionStoreParameters {
  sessions: SessionStore;
  clock: Clock;
  /** How long a session read is trusted without asking the store again, ms (> 0). */
  ttlMs: number;
  /** Most sessions remembered. Default 10,000 (a few hundred bytes each). */
  maxEntries?: number;
  /** Monotonic milliseconds; `performance.now` unless a test drives it. */
  monotonicNow?: () => number;
}

export type CachedSessionStoreReturnType = SessionStore;

export const SESSION_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  session: Session;
  /** Monotonic ms after which the store is asked again. */
  freshUntil: number;
}

export function cachedSessionStore({
  sessions,
  clock,
  ttlMs,
  maxEntries = SESSION_CACHE_MAX_ENTRIES,
  monotonicNow = () => performance.now(),
}: CachedSessionStoreParameters): CachedSessionStoreReturnType {
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
    throw new RangeError(`ttlMs must be a positive number: ${ttlMs}`);
  }
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive integer: ${maxEntries}`);
  }
  const entries = new LruMap<string, Entry>(maxEntries);
  // Bumped by every sign-out: a read that was in flight across one is not remembered (it may predate the delete).
  let signOuts = 0;

  return {
    create: async (parameters) => sessions.create(parameters),

    get: async (id) => {
      const entry = entries.get(id);
      if (entry !== undefined) {
        if (entry.freshUntil > monotonicNow() && entry.session.expiresAt.getTime() > clock.now()) {
          return entry.session;
        }
        entries.delete(id);
      }
      const signOutsBefore = signOuts;
      const session = await sessions.get(id);
      if (session !== null && signOuts === signOutsBefore) {
        entries.set(id, { session, freshUntil: monotonicNow() + ttlMs });
      }
      return session;
    },

    delete: async (id) => {
      signOuts += 1;
      entries.delete(id);
      return sessions.delete(id);
    },
  };
}
