/**
 * Store changes relayed between two "replicas" over a real Redis: delivered to the other replica only, malformed
 * messages ignored, and the relay back at work after Redis is killed and restarted.
 */
import { connect, createServer, type Socket } from "node:net";
import { expect } from "chai";
import type { Redis } from "ioredis";
import { createRedisClient, waitForRedis } from "../../src/limits/redisClient.ts";
import { type RedisChangeRelay, redisChangeRelay } from "../../src/store/redisChangeRelay.ts";
import {
  createStoreChangeFeed,
  type StoreChange,
  type StoreChangeFeed,
} from "../../src/store/storeChanges.ts";
import { collectLogs } from "../http/testApp.ts";
import { type PrivateRedis, startPrivateRedis, uniquePrefix } from "../limits/redisTestSupport.ts";

const SUITE = "store change relay over Redis";
const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

interface Replica {
  redis: Redis;
  feed: StoreChangeFeed;
  applied: StoreChange[];
  relay: RedisChangeRelay;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe(SUITE, function () {
  this.timeout(30_000);
  let server: PrivateRedis | undefined;
  const replicas: Replica[] = [];
  const { lines, logger } = collectLogs("debug");
  const keyPrefix = uniquePrefix();

  async function replica(url: string): Promise<Replica> {
    const redis = createRedisClient({ url, logger });
    await waitForRedis(redis, 5_000);
    const feed = createStoreChangeFeed(() => {});
    const applied: StoreChange[] = [];
    const relay = redisChangeRelay({
      redis,
      keyPrefix,
      changes: feed,
      apply: (c) => applied.push(c),
      logger,
    });
    expect(await relay.ready(5_000)).to.equal(true);
    const made = { redis, feed, applied, relay };
    replicas.push(made);
    return made;
  }

  before(async function () {
    server = await startPrivateRedis(this, SUITE);
  });

  after(async () => {
    for (const { relay, redis } of replicas) {
      await relay.close();
      redis.disconnect();
    }
    await server?.kill();
  });

  it("delivers a replica's changes to the others and not back to itself", async () => {
    if (server === undefined) throw new Error("no redis");
    const a = await replica(server.url);
    const b = await replica(server.url);
    a.feed.publish({ kind: "workouts", owner: ALICE });
    b.feed.publish({ kind: "commitment", commitmentId: "7", owner: null });
    await until(() => b.applied.length === 1 && a.applied.length === 1, "both deliveries");
    // Validated on arrival like any input: addresses come out lower-case, as the store keeps them.
    expect(b.applied).to.deep.equal([{ kind: "workouts", owner: ALICE.toLowerCase() }]);
    expect(a.applied).to.deep.equal([{ kind: "commitment", commitmentId: "7", owner: null }]);
  });

  it("ignores and logs a malformed message, and keeps relaying", async () => {
    if (server === undefined) throw new Error("no redis");
    const [a, b] = replicas as [Replica, Replica];
    const before = b.applied.length;
    for (const raw of [
      "not json",
      JSON.stringify({ origin: "x", change: { kind: "workouts", owner: "bob" } }),
    ]) {
      await a.redis.publish(`${keyPrefix}store-changes`, raw);
    }
    a.feed.publish({ kind: "rulesDocument", rulesHash: `0x${"ab".repeat(32)}` });
    await until(() => b.applied.length === before + 1, "the well-formed change");
    expect(b.applied.at(-1)).to.deep.equal({ kind: "rulesDocument", rulesHash: `0x${"ab".repeat(32)}` });
    expect(lines.some((line) => line.msg === "store change relay: ignored a malformed message")).to.equal(
      true,
    );
  });

  it("relays again once a killed Redis is back on its port", async function () {
    if (server === undefined) throw new Error("no redis");
    const [a, b] = replicas as [Replica, Replica];
    const port = Number(new URL(server.url).port);
    await server.kill();
    a.feed.publish({ kind: "workouts", owner: ALICE }); // lost: nobody to deliver it, and no queue
    await until(
      () =>
        lines.some(
          (line) => line.msg === "store change relay: publishing failed; other replicas rely on TTL",
        ),
      "the publish failure to be logged",
    );
    server = await startPrivateRedis(this, SUITE, port);
    await until(
      () => a.redis.status === "ready" && b.redis.status === "ready",
      "both clients to reconnect",
      10_000,
    );
    const before = b.applied.length;
    // The subscription comes back with the connection; publish until it has.
    await until(
      () => {
        if (b.applied.length === before) a.feed.publish({ kind: "workouts", owner: ALICE });
        return b.applied.length > before;
      },
      "a change relayed after the restart",
      10_000,
    );
    expect(b.applied.at(-1)).to.deep.equal({ kind: "workouts", owner: ALICE.toLowerCase() });
  });
});

/**
 * A TCP proxy in front of Redis that can drop every SUBSCRIBE on its way (Redis never answers it, as when Redis
 * or the agent stalls right after a reconnect) and reset every connection (an outage's end).
 */
async function subscribeDroppingProxy(upstreamPort: number) {
  let dropping = false;
  const live = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, "127.0.0.1");
    live.add(client);
    const drop = () => {
      live.delete(client);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("error", drop);
      socket.on("close", drop);
    }
    client.on("data", (chunk: Buffer) => {
      if (dropping && /subscribe/i.test(chunk.toString("latin1"))) return;
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("the proxy has no port");
  return {
    url: `redis://127.0.0.1:${address.port}`,
    dropSubscribes(value: boolean) {
      dropping = value;
    },
    resetAll() {
      for (const socket of live) socket.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of live) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe(`${SUITE}: a subscription Redis does not confirm after a reconnect`, function () {
  this.timeout(60_000);
  let server: PrivateRedis | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async function () {
    server = await startPrivateRedis(this, SUITE);
    process.on("unhandledRejection", onUnhandled);
  });

  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await server?.kill();
  });

  it("neither rejects unhandled (the process would exit) nor stays unsubscribed", async () => {
    if (server === undefined) throw new Error("no redis");
    const proxy = await subscribeDroppingProxy(Number(new URL(server.url).port));
    const { lines, logger } = collectLogs("debug");
    const keyPrefix = uniquePrefix();
    const subscriberSide = createRedisClient({ url: proxy.url, logger });
    const publisher = createRedisClient({ url: server.url, logger });
    const relay = redisChangeRelay({
      redis: subscriberSide,
      keyPrefix,
      changes: createStoreChangeFeed(() => {}),
      apply: (change) => applied.push(change),
      logger,
    });
    const applied: StoreChange[] = [];
    const feed = createStoreChangeFeed(() => {});
    const publishing = redisChangeRelay({
      redis: publisher,
      keyPrefix,
      changes: feed,
      apply: () => {},
      logger,
    });
    try {
      expect(await relay.ready(5_000)).to.equal(true);
      expect(await waitForRedis(publisher, 5_000)).to.equal(true);
      proxy.dropSubscribes(true);
      proxy.resetAll();
      await until(
        () => lines.some((line) => String(line.msg).startsWith("store change relay: subscribing failed")),
        "the failed subscription to be logged",
        15_000,
      );
      // ioredis's own resubscription (off now) had the same fate, and nothing handled its promise.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(unhandled).to.deep.equal([]);
      proxy.dropSubscribes(false);
      await until(
        () => {
          if (applied.length === 0) feed.publish({ kind: "workouts", owner: ALICE });
          return applied.length > 0;
        },
        "a change relayed once subscriptions go through again",
        20_000,
      );
      expect(unhandled).to.deep.equal([]);
    } finally {
      await relay.close();
      await publishing.close();
      subscriberSide.disconnect();
      publisher.disconnect();
      await proxy.close();
    }
  });
  it("retries a subscription Redis refuses on a growing timer, not in a reconnect loop, and logs it once", async () => {
    if (server === undefined) throw new Error("no redis");
    const admin = createRedisClient({ url: server.url, logger: collectLogs("silent").logger });
    const user = `ra-relay-${uniquePrefix().replace(/[^a-z0-9]/gi, "")}`;
    expect(await waitForRedis(admin, 5_000)).to.equal(true);
    // Every command and key, but no pub/sub channel: SUBSCRIBE answers NOPERM on a healthy connection.
    await admin.call("ACL", "SETUSER", user, "on", "nopass", "~*", "resetchannels", "+@all");
    const connections = async () =>
      Number(/total_connections_received:(\d+)/.exec(String(await admin.info("stats")))?.[1]);
    const { lines, logger } = collectLogs("debug");
    const url = new URL(server.url);
    url.username = user;
    const refused = createRedisClient({ url: url.toString(), logger });
    const relay = redisChangeRelay({
      redis: refused,
      keyPrefix: uniquePrefix(),
      changes: createStoreChangeFeed(() => {}),
      apply: () => {},
      logger,
    });
    try {
      expect(await waitForRedis(refused, 5_000)).to.equal(true);
      const before = await connections();
      expect(await relay.ready(3_500)).to.equal(false);
      const failed = lines.filter((line) =>
        String(line.msg).startsWith("store change relay: subscribing failed"),
      );
      expect(failed).to.have.length(1);
      expect(String((failed[0]?.err as { message?: string } | undefined)?.message)).to.match(/NOPERM/);
      // Retried on the same connection (at 1 s and 3 s), never by reconnecting (at most the subscriber's own first
      // connection may land after `before` was read).
      expect((await connections()) - before).to.be.at.most(1);
    } finally {
      await relay.close();
      refused.disconnect();
      await admin.call("ACL", "DELUSER", user);
      admin.disconnect();
    }
  });
});
