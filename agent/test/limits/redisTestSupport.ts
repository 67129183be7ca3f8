/**
 * Redis for tests: the shared server at TEST_REDIS_URL (default redis://127.0.0.1:6379) or a private
 * `redis-server` on a free port that a test may kill. When Redis (or the binary) is missing the suite is
 * skipped with a logged reason, or fails when CI=true.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import type { Redis } from "ioredis";
import { createRedisClient, waitForRedis } from "../../src/limits/redisClient.ts";
import { createLogger, type Logger } from "../../src/logger.ts";

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const silent: Logger = createLogger({ level: "silent" });

/** Skips the current suite (or fails it under CI=true) with a message saying which and why. */
export function unavailable(ctx: Mocha.Context, suite: string, reason: string): never {
  const message = `${suite}: ${reason}`;
  if (process.env.CI === "true") throw new Error(`${message} (required when CI=true)`);
  console.log(`      [skipped] ${message}`);
  ctx.skip();
}

/** A unique key prefix for one test run. */
export function uniquePrefix(): string {
  return `ra-test:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** A client on the shared Redis, or a skipped suite when it does not answer. */
export async function connectTestRedis(ctx: Mocha.Context, suite: string, logger = silent): Promise<Redis> {
  const redis = createRedisClient({ url: TEST_REDIS_URL, logger });
  if (!(await waitForRedis(redis, 2_000))) {
    redis.disconnect();
    unavailable(ctx, suite, `Redis is not reachable at ${TEST_REDIS_URL}`);
  }
  return redis;
}

export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  process: ChildProcess;
  /** SIGKILLs the server and resolves once it has exited. */
  kill(): Promise<void>;
}

/** Starts our own redis-server (no persistence) on a free port (or `onPort`); skips when the binary is missing. */
export async function startPrivateRedis(
  ctx: Mocha.Context,
  suite: string,
  onPort?: number,
): Promise<PrivateRedis> {
  const port = onPort ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once("error", resolve);
    child.once("spawn", () => resolve(null));
  });
  if (spawned !== null) unavailable(ctx, suite, `cannot start redis-server (${spawned.message})`);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const probe = createRedisClient({ url, logger: silent });
  const ready = await waitForRedis(probe, 5_000);
  probe.disconnect();
  if (!ready) {
    child.kill("SIGKILL");
    await exited;
    unavailable(ctx, suite, `redis-server on port ${port} did not become ready`);
  }
  return {
    url,
    process: child,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
