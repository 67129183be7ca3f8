/**
 * The agent's Redis client, tuned to fail fast rather than queue: no offline queue, one retry, bounded
 * connect and command timeouts, and no resending of half-sent commands (a rate-limit increment must not run
 * twice). It reconnects in the background forever; callers fall back (the rate limiter) or answer 503
 * (nonce and session stores) while it is away. Connection errors are logged once per outage.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { redactUrl } from "../config.ts";

export interface CreateRedisClientParameters {
  url: string;
  logger: Logger;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export type CreateRedisClientReturnType = Redis;

export function createRedisClient({
  url,
  logger,
  connectTimeoutMs = 2_000,
  commandTimeoutMs = 1_000,
}: CreateRedisClientParameters): CreateRedisClientReturnType {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2_000),
  });
  const where = redactUrl(url, true);
  let failing = false;
  client.on("error", (error: Error) => {
    if (failing) return;
    failing = true;
    logger.warn({ err: error, redis: where }, "redis connection failed; retrying in the background");
  });
  client.on("ready", () => {
    if (failing) logger.info({ redis: where }, "redis connection restored");
    failing = false;
  });
  return client;
}

/** Resolves true once the client is ready, false if it is not within `timeoutMs` (it keeps trying). */
export function waitForRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      resolve(false);
    }, timeoutMs);
    client.once("ready", onReady);
  });
}
