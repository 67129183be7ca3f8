/**
 * `Lock` over Redis: acquiring is `SET key owner NX PX ttl` (or a renewal when this owner already holds it),
 * releasing is a compare-and-delete, both as Lua scripts so each is one atomic step. Redis failures are
 * DependencyError `lock_unavailable`: a caller that cannot lock does not act.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { DependencyError, ValidationError } from "../errors.ts";
import type { Lock } from "./lock.ts";

export interface CreateRedisLockParameters {
  redis: Redis;
  /** Prefix of every key (e.g. the agent's Redis key prefix); the key is `${keyPrefix}lock:${name}`. */
  keyPrefix: string;
  /** Default: a random UUID (one owner per process). */
  owner?: string;
}

export type CreateRedisLockReturnType = Lock;

/** Takes a free lease, or renews the caller's own; 1 when held afterwards, else 0. */
const ACQUIRE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  return 1
end
return 0`;

/** Deletes the lease only when the caller holds it. */
const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`;

const nameSchema = z.string().min(1).max(256);
const ttlSchema = z
  .number()
  .int()
  .min(1)
  .max(400 * 24 * 60 * 60 * 1000);

function invalid(field: string, cause: unknown): ValidationError {
  return new ValidationError({
    code: "invalid_lock",
    message: `Invalid lock ${field}.`,
    details: { field },
    cause,
  });
}

export function createRedisLock({
  redis,
  keyPrefix,
  owner = randomUUID(),
}: CreateRedisLockParameters): CreateRedisLockReturnType {
  const key = (name: string) => {
    const parsed = nameSchema.safeParse(name);
    if (!parsed.success) throw invalid("name", parsed.error);
    return `${keyPrefix}lock:${parsed.data}`;
  };
  const unavailable = (operation: string, cause: unknown) =>
    new DependencyError({
      code: "lock_unavailable",
      message: `Redis failed during lock ${operation}.`,
      details: { operation },
      cause,
    });

  return {
    owner,
    tryAcquire: async (name, ttlMs) => {
      const lockKey = key(name);
      const ttl = ttlSchema.safeParse(ttlMs);
      if (!ttl.success) throw invalid("ttlMs", ttl.error);
      try {
        return (await redis.eval(ACQUIRE, 1, lockKey, owner, String(ttl.data))) === 1;
      } catch (cause) {
        throw unavailable("acquisition", cause);
      }
    },
    release: async (name) => {
      const lockKey = key(name);
      try {
        await redis.eval(RELEASE, 1, lockKey, owner);
      } catch (cause) {
        throw unavailable("release", cause);
      }
    },
  };
}
