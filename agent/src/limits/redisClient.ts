/**
 * The agent's Redis client, tuned to fail fast rather than queue: no offline queue, one retry, bounded
 * connect and command timeouts, and no resending of half-sent commands (a rate-limit increment must not run
 * twice). It reconnects in the background forever; callers fall back (the rate limiter) or answer 503
 * (nonce and session stores) while it is away. Connection errors are logged once per outage.
 *
 * The command timeout is the agent's own (`timeCommands`), not ioredis's `commandTimeout`: that one is a plain
 * timer, which under CPU load fires after a stall of the event loop before the loop has read an answer waiting
 * in the socket, so commands "timed out" while Redis was fine (503 `redis_unavailable` outside any outage in the
 * load test, docs/reliability.md). Connections duplicated from this client (BullMQ's, the change relay's
 * subscriber) get no command timeout from it.
 */
import { performance } from "node:perf_hooks";
import { type Command, Redis } from "ioredis";
import type { Logger } from "pino";
import { redactUrl } from "../config.ts";

export interface CreateRedisClientParameters {
  url: string;
  logger: Logger;
  connectTimeoutMs?: number;
  /** How long Redis may take to answer a command (REDIS_COMMAND_TIMEOUT_MS). Default 1 s. */
  commandTimeoutMs?: number;
}

export type CreateRedisClientReturnType = Redis;

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1_000;

export function createRedisClient({
  url,
  logger,
  connectTimeoutMs = 2_000,
  commandTimeoutMs = DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
}: CreateRedisClientParameters): CreateRedisClientReturnType {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2_000),
  });
  timeCommands(client, commandTimeoutMs);
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

/** A timer that fires this much later than asked was held up by a stall of the event loop. */
const STALL_MS = 100;
/** However many stalls, a command fails at the latest after this many times its timeout. */
const MAX_TIMEOUTS = 5;

/**
 * Fails every command of `client` that Redis has not answered within `timeoutMs` of the process's running time
 * ("Command timed out", as ioredis's own timeout): a timer that fires late (the loop was stalled, and maybe the
 * whole machine with Redis) gives Redis the time again, and a command found due is failed only after one more
 * turn of the loop, in which the answer already in the socket is read.
 */
function timeCommands(client: Redis, timeoutMs: number): void {
  const send = client.sendCommand.bind(client);
  const timed = new WeakSet<Command>();
  client.sendCommand = (command, stream) => {
    if (!timed.has(command)) {
      timed.add(command);
      failWhenDue(command, timeoutMs);
    }
    return send(command, stream);
  };
}

function failWhenDue(command: Command, timeoutMs: number): void {
  const latest = performance.now() + timeoutMs * MAX_TIMEOUTS;
  let timer: NodeJS.Timeout | undefined;
  const wait = (ms: number) => {
    const due = performance.now() + ms;
    timer = setTimeout(() => {
      if (command.isSettled) return;
      const now = performance.now();
      if (now - due > STALL_MS && now < latest) {
        wait(Math.min(timeoutMs, latest - now));
        return;
      }
      setImmediate(() => {
        if (!command.isSettled) command.reject(new Error("Command timed out"));
      });
    }, ms).unref();
  };
  wait(timeoutMs);
  // An answered command gives its timer back at once: none lives on (holding the command) for the whole timeout.
  const stop = () => clearTimeout(timer);
  command.promise.then(stop, stop);
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
