import { expect } from "chai";
import type { Redis } from "ioredis";
import { type Lock, withLease } from "../../src/chain/lock.ts";
import { createRedisLock } from "../../src/chain/redisLock.ts";
import { createStoreLock } from "../../src/chain/storeLock.ts";
import { ManualClock } from "../../src/clock.ts";
import { DependencyError, ValidationError } from "../../src/errors.ts";
import { createRedisClient } from "../../src/limits/redisClient.ts";
import { createLogger } from "../../src/logger.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { openStore } from "../../src/store/openStore.ts";
import { createRepositories, type Store } from "../../src/store/store.ts";
import { START } from "../http/testApp.ts";
import { connectTestRedis, deleteByPrefix, uniquePrefix } from "../limits/redisTestSupport.ts";
import { memoryLocks, rejectionOf } from "./chainTestSupport.ts";

interface LockHarness {
  /** Two locks (two owners, e.g. two replicas) over the same backend. */
  pair(): [Lock, Lock];
  /** Lets `ms` pass for the backend's expiry. */
  elapse(ms: number): Promise<void>;
}

function lockContract(harness: () => LockHarness) {
  it("lets one owner at a time hold a name", async () => {
    const [a, b] = harness().pair();
    expect(await a.tryAcquire("keeper:31337", 60_000)).to.equal(true);
    expect(await b.tryAcquire("keeper:31337", 60_000)).to.equal(false);
    expect(await b.tryAcquire("other-name", 60_000)).to.equal(true);
    // The holder renews.
    expect(await a.tryAcquire("keeper:31337", 60_000)).to.equal(true);
  });

  it("is released only by its holder", async () => {
    const [a, b] = harness().pair();
    expect(await a.tryAcquire("claim:1:0", 60_000)).to.equal(true);
    await b.release("claim:1:0");
    expect(await b.tryAcquire("claim:1:0", 60_000)).to.equal(false);
    await a.release("claim:1:0");
    expect(await b.tryAcquire("claim:1:0", 60_000)).to.equal(true);
  });

  it("expires, so a crashed holder does not block the others forever", async () => {
    const h = harness();
    const [a, b] = h.pair();
    expect(await a.tryAcquire("claim:2:0", 100)).to.equal(true);
    expect(await b.tryAcquire("claim:2:0", 100)).to.equal(false);
    await h.elapse(250);
    expect(await b.tryAcquire("claim:2:0", 100)).to.equal(true);
    expect(await a.tryAcquire("claim:2:0", 100)).to.equal(false);
  });

  it("rejects an invalid name or TTL", async () => {
    const [a] = harness().pair();
    expect(await rejectionOf(a.tryAcquire("", 1_000))).to.be.instanceOf(ValidationError);
    expect(await rejectionOf(a.tryAcquire("x", 0))).to.be.instanceOf(ValidationError);
  });
}

describe("chain: store lock (PGlite)", () => {
  const clock = new ManualClock(START);
  let store: Store;

  before(async () => {
    store = await openStore({ dataDir: "memory://", clock });
  });

  after(async () => {
    await store?.close();
  });

  lockContract(() => ({
    pair: () => [createStoreLock({ locks: store.locks }), createStoreLock({ locks: store.locks })],
    elapse: async (ms) => clock.advance(ms),
  }));
});

describe("chain: store lock leases expire by the lease clock, not the business clock", () => {
  // With CLOCK_SOURCE=chain each replica's business clock follows the chain, and two replicas' offsets differ by
  // the chain's jump between their reads: a replica ahead saw the other's lease of the operator key as expired and
  // both sent at once (load test run 9, "Nonce too low"). Leases are measured by the wall clock (`leaseClock`).
  const wall = new ManualClock(START);
  let database: Database;

  before(async () => {
    database = await openDatabase({ dataDir: "memory://" });
  });

  after(async () => {
    await database?.close();
  });

  it("a replica whose business clock runs 120 s ahead cannot take a live lease", async () => {
    const replica = (business: ManualClock) =>
      createStoreLock({ locks: createRepositories(database.db, business, wall).locks });
    const here = replica(new ManualClock(START));
    const ahead = replica(new ManualClock(START + 120_000));
    expect(await here.tryAcquire("sender:31337:0xop", 15_000)).to.equal(true);
    expect(await ahead.tryAcquire("sender:31337:0xop", 15_000)).to.equal(false);
    wall.advance(16_000);
    expect(await ahead.tryAcquire("sender:31337:0xop", 15_000)).to.equal(true);
    // By the business clocks alone (no lease clock) the replica ahead takes a lease held a second ago.
    const byBusiness = (business: ManualClock) =>
      createStoreLock({ locks: createRepositories(database.db, business).locks });
    expect(await byBusiness(new ManualClock(START)).tryAcquire("keeper:31337", 15_000)).to.equal(true);
    expect(await byBusiness(new ManualClock(START + 120_000)).tryAcquire("keeper:31337", 15_000)).to.equal(
      true,
    );
  });
});

describe("chain: Redis lock", () => {
  let redis: Redis;
  const prefix = uniquePrefix();

  before(async function () {
    redis = await connectTestRedis(this, "chain: Redis lock");
  });

  after(async () => {
    if (redis !== undefined) {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
    }
  });

  lockContract(() => ({
    pair: () => [
      createRedisLock({ redis, keyPrefix: prefix }),
      createRedisLock({ redis, keyPrefix: prefix }),
    ],
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  }));

  it("keeps its lease under the key prefix, holding the owner", async () => {
    const lock = createRedisLock({ redis, keyPrefix: prefix, owner: "replica-a" });
    expect(await lock.tryAcquire("keeper:31337:0xabc", 60_000)).to.equal(true);
    expect(await redis.get(`${prefix}lock:keeper:31337:0xabc`)).to.equal("replica-a");
    const ttl = await redis.pttl(`${prefix}lock:keeper:31337:0xabc`);
    expect(ttl).to.be.within(1, 60_000);
    await lock.release("keeper:31337:0xabc");
    expect(await redis.exists(`${prefix}lock:keeper:31337:0xabc`)).to.equal(0);
  });

  it("fails with DependencyError lock_unavailable when Redis is down", async () => {
    const down = createRedisClient({ url: "redis://127.0.0.1:1", logger: createLogger({ level: "silent" }) });
    try {
      const lock = createRedisLock({ redis: down, keyPrefix: prefix });
      const error = await rejectionOf(lock.tryAcquire("keeper", 1_000));
      expect(error).to.be.instanceOf(DependencyError);
      expect((error as DependencyError).code).to.equal("lock_unavailable");
    } finally {
      down.disconnect();
    }
  });
});

describe("chain: withLease", () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const log = createLogger({ level: "silent" });

  it("renews a short lease while the work runs longer than its TTL, and releases it after", async () => {
    const [a, b] = memoryLocks();
    const lease = { lock: a, name: "keeper:31337", ttlMs: 300, log };
    const probes: boolean[] = [];
    const result = await withLease(
      lease,
      async () => {
        for (let i = 0; i < 4; i += 1) {
          await sleep(250);
          probes.push(await b.tryAcquire("keeper:31337", 300));
        }
        return "done";
      },
      () => "skipped",
    );
    expect(result).to.equal("done");
    // A second replica never got the lease while the first worked (1 s, past three TTLs).
    expect(probes).to.deep.equal([false, false, false, false]);
    expect(await b.tryAcquire("keeper:31337", 300)).to.equal(true);
  });

  it("tells the work its lease is lost once another owner took it after it lapsed, and only then", async () => {
    const [a, b] = memoryLocks();
    const lease = { lock: a, name: "auto-settle:31337", ttlMs: 300, log };
    const seen = await withLease(
      lease,
      async (held) => {
        await sleep(250);
        const before = held.lost;
        // The lease lapses (a stalled process: no renewal lands) and the other replica takes it.
        await a.release("auto-settle:31337");
        expect(await b.tryAcquire("auto-settle:31337", 5_000)).to.equal(true);
        await sleep(250);
        return [before, held.lost];
      },
      () => [],
    );
    expect(seen).to.deep.equal([false, true]);
    // The other owner still holds it: the lost renewal took nothing back.
    expect(await a.tryAcquire("auto-settle:31337", 300)).to.equal(false);
  });
});
