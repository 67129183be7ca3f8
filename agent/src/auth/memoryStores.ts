/**
 * In-memory nonce and session stores for a single process (development, tests). Bounded: expired entries
 * are swept as new ones arrive, and when the store is full of live entries the oldest is evicted, so a
 * flood of sign-in attempts cannot grow memory without limit.
 */
import type { Clock } from "../clock.ts";
import { ConflictError } from "../errors.ts";
import type { CreateSessionParameters, NonceStore, Session, SessionStore } from "./stores.ts";

export interface MemoryStoreParameters {
  clock: Clock;
  /** Most entries kept. Nonces default to 10 000, sessions to 100 000. */
  maxEntries?: number;
}

/** A Map with per-entry expiry, bounded in size. */
class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #clock: Clock;
  readonly #maxEntries: number;

  constructor(clock: Clock, maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be >= 1");
    this.#clock = clock;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Inserts a new key; a live one already there throws `taken()` instead. */
  insertNew(key: string, value: V, expiresAt: number, taken: () => Error): void {
    if (this.has(key)) throw taken();
    this.#sweepOldest();
    if (this.#entries.size >= this.#maxEntries) this.#sweepAll();
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Removes expired entries from the oldest end until a live one (cheap, runs on every insert). */
  #sweepOldest(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) return;
      this.#entries.delete(key);
    }
  }

  #sweepAll(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }
}

/** A store's methods over one `ExpiringMap` of at most `maxEntries` (else `defaultMax`), with its live `size`. */
function sizedStore<V, S>(
  { clock, maxEntries }: MemoryStoreParameters,
  defaultMax: number,
  methods: (entries: ExpiringMap<V>) => S,
): S & { readonly size: number } {
  const entries = new ExpiringMap<V>(clock, maxEntries ?? defaultMax);
  return {
    ...methods(entries),
    get size() {
      return entries.size;
    },
  };
}

export type MemoryNonceStore = NonceStore & { readonly size: number };

export function createMemoryNonceStore(parameters: MemoryStoreParameters): MemoryNonceStore {
  const { clock } = parameters;
  return sizedStore<true, NonceStore>(parameters, 10_000, (nonces) => ({
    issue: async (nonce, ttlMs) => {
      nonces.insertNew(
        nonce,
        true,
        clock.now() + ttlMs,
        () => new ConflictError({ code: "nonce_exists", message: "This nonce was already issued." }),
      );
    },
    consume: async (nonce) => {
      const live = nonces.get(nonce) !== undefined;
      nonces.delete(nonce);
      return live;
    },
  }));
}

export type MemorySessionStore = SessionStore & { readonly size: number };

export function createMemorySessionStore(parameters: MemoryStoreParameters): MemorySessionStore {
  const { clock } = parameters;
  return sizedStore<Session, SessionStore>(parameters, 100_000, (sessions) => ({
    create: async ({ id, address, chainId, ttlMs }: CreateSessionParameters) => {
      const now = clock.now();
      const session: Session = {
        id,
        address,
        chainId,
        createdAt: new Date(now),
        expiresAt: new Date(now + ttlMs),
      };
      sessions.insertNew(
        id,
        session,
        now + ttlMs,
        () => new ConflictError({ code: "session_exists", message: "This session id is already taken." }),
      );
      return { ...session };
    },
    get: async (id) => {
      const session = sessions.get(id);
      return session === undefined ? null : { ...session };
    },
    delete: async (id) => sessions.delete(id),
  }));
}
