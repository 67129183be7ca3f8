import { expect } from "chai";
import type { Redis } from "ioredis";
import { createRedisNonceStore, createRedisSessionStore } from "../../src/auth/redisStores.ts";
import { ManualClock } from "../../src/clock.ts";
import { ConflictError, DependencyError } from "../../src/errors.ts";
import { createRedisClient } from "../../src/limits/redisClient.ts";
import { createLogger } from "../../src/logger.ts";
import { connectTestRedis, deleteByPrefix, freePort, uniquePrefix } from "../limits/redisTestSupport.ts";

const SUITE = "Redis nonce and session stores";
const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const id = (n: number) => n.toString(16).padStart(64, "0");

describe(SUITE, () => {
  let redis: Redis;
  const prefix = uniquePrefix();

  before(async function () {
    redis = await connectTestRedis(this, SUITE);
  });

  after(async () => {
    if (redis === undefined) return;
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  it("issues a nonce with SET NX PX and consumes it once with GETDEL", async () => {
    const clock = new ManualClock(Date.now());
    const nonces = createRedisNonceStore({ redis, clock, keyPrefix: prefix });
    await nonces.issue("abcdefgh1", 60_000);
    expect(await redis.get(`${prefix}nonce:abcdefgh1`)).to.equal(String(clock.now() + 60_000));
    const ttl = await redis.pttl(`${prefix}nonce:abcdefgh1`);
    expect(ttl).to.be.greaterThan(59_000);
    expect(ttl).to.be.at.most(60_000);
    expect(await nonces.consume("abcdefgh1")).to.equal(true);
    expect(await nonces.consume("abcdefgh1")).to.equal(false);
    expect(await redis.exists(`${prefix}nonce:abcdefgh1`)).to.equal(0);
  });

  it("lets exactly one of many concurrent consumers win", async () => {
    const nonces = createRedisNonceStore({ redis, clock: new ManualClock(Date.now()), keyPrefix: prefix });
    await nonces.issue("race00001", 60_000);
    const results = await Promise.all(Array.from({ length: 10 }, () => nonces.consume("race00001")));
    expect(results.filter(Boolean)).to.have.length(1);
  });

  it("expires nonces by the injected clock and refuses duplicates", async () => {
    const clock = new ManualClock(Date.now());
    const nonces = createRedisNonceStore({ redis, clock, keyPrefix: prefix });
    await nonces.issue("expire001", 60_000);
    const error = await nonces.issue("expire001", 60_000).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConflictError);
    clock.advance(60_000);
    expect(await nonces.consume("expire001")).to.equal(false);
  });

  it("stores sessions with their clock-based expiry", async () => {
    const clock = new ManualClock(Date.now());
    const sessions = createRedisSessionStore({ redis, clock, keyPrefix: prefix });
    const start = clock.now();
    const created = await sessions.create({ id: id(1), address: ALICE, chainId: 31337, ttlMs: 60_000 });
    const expected = {
      id: id(1),
      address: ALICE,
      chainId: 31337,
      createdAt: new Date(start),
      expiresAt: new Date(start + 60_000),
    };
    expect(created).to.deep.equal(expected);
    expect(await sessions.get(id(1))).to.deep.equal(expected);
    const error = await sessions
      .create({ id: id(1), address: ALICE, chainId: 1, ttlMs: 1_000 })
      .catch((e: unknown) => e);
    expect((error as ConflictError).code).to.equal("session_exists");
    clock.advance(59_999);
    expect(await sessions.get(id(1))).not.to.equal(null);
    clock.advance(1);
    expect(await sessions.get(id(1))).to.equal(null);
    expect(await sessions.delete(id(1))).to.equal(true);
    expect(await sessions.delete(id(1))).to.equal(false);
  });

  it("treats a corrupt session value as no session", async () => {
    const sessions = createRedisSessionStore({
      redis,
      clock: new ManualClock(Date.now()),
      keyPrefix: prefix,
    });
    await redis.set(`${prefix}session:${id(2)}`, "{not json", "PX", 60_000);
    expect(await sessions.get(id(2))).to.equal(null);
  });

  it("turns an unreachable Redis into a DependencyError (503)", async () => {
    const dead = createRedisClient({
      url: `redis://127.0.0.1:${await freePort()}`,
      logger: createLogger({ level: "silent" }),
    });
    try {
      const nonces = createRedisNonceStore({ redis: dead, clock: new ManualClock(0), keyPrefix: prefix });
      const error = await nonces.issue("abcdefgh1", 1_000).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(DependencyError);
      expect((error as DependencyError).code).to.equal("redis_unavailable");
      expect((error as DependencyError).message).to.equal("Redis failed during nonce issue.");
    } finally {
      dead.disconnect();
    }
  });
});
