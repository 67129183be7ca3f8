/**
 * The agent's Redis client against a private redis-server: the command timeout counts the time Redis takes,
 * not the time the agent's own event loop was stalled (CPU load), still fails commands of a Redis that does
 * not answer (SIGSTOP), and the client answers again right after Redis resumes.
 */
import { expect } from "chai";
import type { Redis } from "ioredis";
import { createRedisClient, waitForRedis } from "../../src/limits/redisClient.ts";
import { createLogger } from "../../src/logger.ts";
import { type PrivateRedis, startPrivateRedis } from "./redisTestSupport.ts";

const SUITE = "redis client: command timeout";
const silent = createLogger({ level: "silent" });

/** Blocks the event loop, as a CPU stall does. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

/**
 * Sends a command and stalls the loop at once, in the check phase: the loop's next phase is the timers', before
 * the poll phase reads the answer that arrived meanwhile.
 */
function sendThenStall<T>(send: () => Promise<T>, ms: number): Promise<PromiseSettledResult<T>> {
  return new Promise((resolve) => {
    setImmediate(() => {
      const pending = send();
      stall(ms);
      resolve(Promise.allSettled([pending]).then(([result]) => result as PromiseSettledResult<T>));
    });
  });
}

describe(SUITE, function () {
  this.timeout(60_000);
  let server: PrivateRedis | undefined;
  let redis: Redis | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async function () {
    server = await startPrivateRedis(this, SUITE);
    redis = createRedisClient({ url: server.url, logger: silent, commandTimeoutMs: 200 });
    expect(await waitForRedis(redis, 5_000)).to.equal(true);
    process.on("unhandledRejection", onUnhandled);
  });

  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    redis?.disconnect();
    if (server !== undefined && server.process.exitCode === null) server.process.kill("SIGCONT");
    await server?.kill();
  });

  it("does not fail a command that Redis answered while the agent's event loop was stalled", async () => {
    if (redis === undefined) throw new Error("no redis");
    for (let round = 0; round < 5; round += 1) {
      // Written to the socket at once; the answer arrives during the stall, three timeouts long.
      const client = redis;
      const result = await sendThenStall(() => client.set(`ra-test:stall:${round}`, "1", "PX", 10_000), 600);
      expect(result).to.deep.equal({ status: "fulfilled", value: "OK" });
    }
    expect(unhandled).to.deep.equal([]);
  });

  it("leaves no timeout timer behind once a command is answered", async () => {
    if (server === undefined) throw new Error("no redis");
    const TIMEOUT_MS = 777; // no other timer of the client uses this delay
    const armed = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const client = createRedisClient({ url: server.url, logger: silent, commandTimeoutMs: TIMEOUT_MS });
    try {
      expect(await waitForRedis(client, 5_000)).to.equal(true);
      globalThis.setTimeout = ((callback: () => void, ms?: number) => {
        const handle = realSet(callback, ms);
        if (ms === TIMEOUT_MS) armed.add(handle);
        return handle;
      }) as typeof setTimeout;
      globalThis.clearTimeout = ((handle?: Parameters<typeof clearTimeout>[0]) => {
        armed.delete(handle);
        realClear(handle);
      }) as typeof clearTimeout;
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => client.get(`ra-test:timers:${i}`)),
      );
      expect(answers).to.deep.equal(Array(50).fill(null));
      await new Promise((resolve) => setImmediate(resolve));
      expect(armed.size).to.equal(0);
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
      client.disconnect();
    }
  });

  it("fails the commands of a Redis that does not answer, and answers again as soon as it resumes", async () => {
    if (redis === undefined || server === undefined) throw new Error("no redis");
    server.process.kill("SIGSTOP");
    try {
      const started = performance.now();
      const [ping, get] = await Promise.allSettled([redis.ping(), redis.get("ra-test:absent")]);
      const took = performance.now() - started;
      for (const result of [ping, get]) {
        expect(result.status).to.equal("rejected");
        expect((result as PromiseRejectedResult).reason.message).to.equal("Command timed out");
      }
      // The timeout (200 ms), maybe re-armed once by a stall of this busy machine, never its cap of five.
      expect(took).to.be.within(190, 1_000);
    } finally {
      server.process.kill("SIGCONT");
    }
    const resumed = performance.now();
    expect(await redis.ping()).to.equal("PONG");
    expect(performance.now() - resumed).to.be.below(1_000);
    expect(redis.status).to.equal("ready");
    expect(unhandled).to.deep.equal([]);
  });
});
