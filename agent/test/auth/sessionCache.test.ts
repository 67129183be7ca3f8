import { expect } from "chai";
import { createMemorySessionStore } from "../../src/auth/memoryStores.ts";
import { cachedSessionStore } from "../../src/auth/sessionCache.ts";
import type { SessionStore } from "../../src/auth/stores.ts";
import { ManualClock } from "../../src/clock.ts";

const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const id = (n: number) => n.toString(16).padStart(64, "0");

/** The store another replica would share, counting the reads that reach it. */
function countingStore(clock: ManualClock): SessionStore & { reads: number } {
  const inner = createMemorySessionStore({ clock });
  const store = {
    reads: 0,
    create: inner.create,
    delete: inner.delete,
    get: async (sessionId: string) => {
      store.reads += 1;
      return inner.get(sessionId);
    },
  };
  return store;
}

function setup({ ttlMs = 2_000, maxEntries }: { ttlMs?: number; maxEntries?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  let monotonic = 0;
  const shared = countingStore(clock);
  const cached = cachedSessionStore({
    sessions: shared,
    clock,
    ttlMs,
    monotonicNow: () => monotonic,
    ...(maxEntries === undefined ? {} : { maxEntries }),
  });
  return {
    clock,
    shared,
    cached,
    elapse: (ms: number) => {
      monotonic += ms;
    },
  };
}

describe("cached session store", () => {
  it("answers repeated reads of a session from memory until ttlMs has passed", async () => {
    const { shared, cached, elapse } = setup();
    await cached.create({ id: id(1), address: ALICE, chainId: 31337, ttlMs: 3_600_000 });
    const first = await cached.get(id(1));
    expect(first?.address).to.equal(ALICE);
    elapse(1_999);
    expect(await cached.get(id(1))).to.deep.equal(first);
    expect(shared.reads).to.equal(1);
    elapse(1);
    expect(await cached.get(id(1))).to.deep.equal(first);
    expect(shared.reads).to.equal(2);
  });

  it("sees a sign-out on another replica within ttlMs, and one through itself at once", async () => {
    const { shared, cached, elapse } = setup();
    await shared.create({ id: id(1), address: ALICE, chainId: 31337, ttlMs: 3_600_000 });
    await shared.create({ id: id(2), address: ALICE, chainId: 31337, ttlMs: 3_600_000 });
    await cached.get(id(1));
    await cached.get(id(2));

    await shared.delete(id(1)); // another replica signs out
    expect(await cached.get(id(1))).not.to.equal(null); // the documented trade-off
    elapse(2_000);
    expect(await cached.get(id(1))).to.equal(null);

    expect(await cached.delete(id(2))).to.equal(true);
    expect(await cached.get(id(2))).to.equal(null);
    expect(await shared.get(id(2))).to.equal(null);
  });

  it("never answers with a session past its expiry, whatever ttlMs says", async () => {
    const { clock, cached } = setup({ ttlMs: 60_000 });
    await cached.create({ id: id(1), address: ALICE, chainId: 31337, ttlMs: 60_000 });
    expect(await cached.get(id(1))).not.to.equal(null);
    clock.advance(59_999);
    expect(await cached.get(id(1))).not.to.equal(null);
    clock.advance(1);
    expect(await cached.get(id(1))).to.equal(null);
  });

  it("does not remember unknown ids, so a sign-in elsewhere is seen at once", async () => {
    const { shared, cached } = setup();
    expect(await cached.get(id(7))).to.equal(null);
    await shared.create({ id: id(7), address: ALICE, chainId: 31337, ttlMs: 3_600_000 });
    expect((await cached.get(id(7)))?.id).to.equal(id(7));
  });

  it("does not remember a read that was in flight across a sign-out", async () => {
    const clock = new ManualClock(1_000_000);
    const inner = createMemorySessionStore({ clock });
    await inner.create({ id: id(1), address: ALICE, chainId: 31337, ttlMs: 3_600_000 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    const slow: SessionStore = {
      ...inner,
      get: async (sessionId) => {
        reads += 1;
        const session = await inner.get(sessionId);
        if (reads === 1) await gate;
        return session;
      },
    };
    const cached = cachedSessionStore({ sessions: slow, clock, ttlMs: 60_000, monotonicNow: () => 0 });
    const inFlight = cached.get(id(1));
    await Promise.resolve();
    await cached.delete(id(1));
    release();
    expect((await inFlight)?.id).to.equal(id(1)); // read before the delete landed
    expect(await cached.get(id(1))).to.equal(null);
    expect(reads).to.equal(2);
  });

  it("keeps at most maxEntries sessions, dropping the least recently used", async () => {
    const { shared, cached } = setup({ maxEntries: 2 });
    for (const n of [1, 2, 3]) {
      await shared.create({ id: id(n), address: ALICE, chainId: 31337, ttlMs: 3_600_000 });
    }
    await cached.get(id(1));
    await cached.get(id(2));
    await cached.get(id(1)); // 2 is now the least recently used
    await cached.get(id(3)); // evicts 2
    const before = shared.reads;
    await cached.get(id(1));
    await cached.get(id(3));
    expect(shared.reads).to.equal(before);
    await cached.get(id(2));
    expect(shared.reads).to.equal(before + 1);
  });

  it("refuses a ttl or size that is not positive", () => {
    const clock = new ManualClock(0);
    const sessions = createMemorySessionStore({ clock });
    expect(() => cachedSessionStore({ sessions, clock, ttlMs: 0 })).to.throw(RangeError, /ttlMs/);
    expect(() => cachedSessionStore({ sessions, clock, ttlMs: Number.NaN })).to.throw(RangeError, /ttlMs/);
    expect(() => cachedSessionStore({ sessions, clock, ttlMs: 1_000, maxEntries: 0 })).to.throw(
      RangeError,
      /maxEntries/,
    );
  });
});
