import { expect } from "chai";
import type { Redis } from "ioredis";
import request from "supertest";
import { createRedisClient, waitForRedis } from "../../src/limits/redisClient.ts";
import { buildTestApp, collectLogs, type LogLine } from "../http/testApp.ts";
import {
  connectTestRedis,
  deleteByPrefix,
  freePort,
  type PrivateRedis,
  startPrivateRedis,
  uniquePrefix,
} from "./redisTestSupport.ts";

const LIMITS = { RATE_LIMIT_API_POINTS: "3", RATE_LIMIT_API_WINDOW_SECONDS: "3600" };
const DEGRADED =
  "rate limiter: Redis unavailable, enforcing limits from memory in this process until it returns";

const RESTORED = "rate limiter: Redis available again, limits shared again";

function degradations(logs: LogLine[]): LogLine[] {
  return logs.filter((line) => line.msg === DEGRADED);
}

async function degradationCount(metricsText: Promise<string>): Promise<string | undefined> {
  return (await metricsText)
    .split("\n")
    .find((line) => line.startsWith("agent_rate_limiter_degradations_total{"));
}

describe("rate limits on Redis: present", () => {
  const SUITE = "rate limits on Redis: present";
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

  it("shares counters in Redis between app instances and answers 429 with Retry-After", async () => {
    const one = buildTestApp({ env: LIMITS, redis, keyPrefix: prefix });
    const two = buildTestApp({ env: LIMITS, redis, keyPrefix: prefix });
    expect(one.limits.store).to.equal("redis");
    expect((await request(one.app).post("/api/auth/nonce")).status).to.equal(200);
    expect((await request(two.app).post("/api/auth/nonce")).status).to.equal(200);
    expect((await request(one.app).post("/api/auth/nonce")).status).to.equal(200);
    expect(await redis.get(`${prefix}rl:api:ip:127.0.0.1`)).to.equal("3");
    const refused = await request(two.app).post("/api/auth/nonce");
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers["retry-after"])).to.be.within(3595, 3600);
    expect(refused.body.code).to.equal("rate_limited");
    expect(refused.body.retryAfterSeconds).to.equal(Number(refused.headers["retry-after"]));
    for (const t of [one, two]) {
      expect(degradations(t.logs)).to.deep.equal([]);
      expect(t.limits.degraded).to.equal(false);
    }
  });
});

describe("rate limits on Redis: absent", () => {
  it("serves requests, limits them from memory and logs the degradation once", async () => {
    const { logger, lines } = collectLogs();
    const redis = createRedisClient({ url: `redis://127.0.0.1:${await freePort()}`, logger });
    try {
      const t = buildTestApp({ env: LIMITS, redis, keyPrefix: uniquePrefix() });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await request(t.app).post("/api/auth/nonce")).status);
      expect(statuses).to.deep.equal([200, 200, 200, 429, 429]);
      expect(degradations(t.logs)).to.have.length(1);
      expect(degradations(t.logs)[0]?.level).to.equal(40);
      expect(t.limits.degraded).to.equal(true);
      expect(await degradationCount(t.metrics.registry.metrics())).to.equal(
        'agent_rate_limiter_degradations_total{store="redis"} 1',
      );
      // The client's own connection failures are logged once too, not once per retry.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(
        lines.filter((line) => line.msg === "redis connection failed; retrying in the background"),
      ).to.have.length(1);
    } finally {
      redis.disconnect();
    }
  });
});

describe("rate limits on Redis: killed mid-test", () => {
  const SUITE = "rate limits on Redis: killed mid-test";
  let server: PrivateRedis | undefined;
  let restarted: PrivateRedis | undefined;
  let redis: Redis | undefined;

  before(async function () {
    server = await startPrivateRedis(this, SUITE);
  });

  after(async () => {
    redis?.disconnect();
    await server?.kill();
    await restarted?.kill();
  });

  it("keeps serving from the memory insurance when Redis dies, logs it once, still limits, and recovers", async function () {
    if (server === undefined) throw new Error("no private redis");
    const clientLogs = collectLogs();
    redis = createRedisClient({ url: server.url, logger: clientLogs.logger });
    expect(await waitForRedis(redis, 5_000)).to.equal(true);
    const prefix = uniquePrefix();
    const t = buildTestApp({ env: LIMITS, redis, keyPrefix: prefix });

    // Two requests counted in Redis.
    expect((await request(t.app).post("/api/auth/nonce")).status).to.equal(200);
    expect((await request(t.app).post("/api/auth/nonce")).status).to.equal(200);
    expect(await redis.get(`${prefix}rl:api:ip:127.0.0.1`)).to.equal("2");
    expect(degradations(t.logs)).to.deep.equal([]);

    const closed = new Promise((resolve) => redis?.once("close", resolve));
    await server.kill();
    await closed;

    // Memory takes over with a fresh window: 3 more allowed, then 429; nothing fails with 5xx.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(t.app).post("/api/auth/nonce")).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429, 429, 429]);
    expect(degradations(t.logs)).to.have.length(1);
    expect(t.limits.degraded).to.equal(true);
    expect(await degradationCount(t.metrics.registry.metrics())).to.equal(
      'agent_rate_limiter_degradations_total{store="redis"} 1',
    );
    expect(await t.metrics.registry.metrics()).to.include('agent_rate_limiter_degraded{store="redis"} 1');
    // Other routes keep working too.
    expect((await request(t.app).get("/health")).status).to.equal(200);

    // Redis comes back on the same port: the limiters use it again and say so once.
    restarted = await startPrivateRedis(this, SUITE, Number(new URL(server.url).port));
    expect(await waitForRedis(redis, 10_000)).to.equal(true);
    expect(t.limits.degraded).to.equal(false);
    expect(await t.metrics.registry.metrics()).to.include('agent_rate_limiter_degraded{store="redis"} 0');
    expect(t.logs.filter((line) => line.msg === RESTORED)).to.have.length(1);
    expect((await request(t.app).post("/api/auth/nonce")).status).to.equal(200);
    expect(await redis.get(`${prefix}rl:api:ip:127.0.0.1`)).to.equal("1");
  });
});
