/**
 * Nonce and session stores in Redis, shared by every agent process. A nonce is `SET NX PX` when issued and
 * `GETDEL` when consumed, so it is used at most once even under concurrent verifications. Both stores keep
 * the expiry computed from the injected clock inside the value and check it on read (Redis's own TTL only
 * cleans up), so expiry follows the same clock as everything else.
 */
import type { Redis } from "ioredis";
import { getAddress } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ConflictError, DependencyError } from "../errors.ts";
import type { NonceStore, Session, SessionStore } from "./stores.ts";

export interface RedisStoreParameters {
  redis: Redis;
  clock: Clock;
  /** Prefix of the keys (e.g. the configured `ra:`); nonces live under `<prefix>nonce:`, sessions under `<prefix>session:`. */
  keyPrefix: string;
}

async function redisCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw new DependencyError({
      code: "redis_unavailable",
      message: `Redis failed during ${operation}.`,
      details: { operation },
      cause,
    });
  }
}

export function createRedisNonceStore({ redis, clock, keyPrefix }: RedisStoreParameters): NonceStore {
  const key = (nonce: string) => `${keyPrefix}nonce:${nonce}`;
  return {
    issue: async (nonce, ttlMs) => {
      const expiresAt = clock.now() + ttlMs;
      const stored = await redisCall("nonce issue", () =>
        redis.set(key(nonce), String(expiresAt), "PX", Math.max(1, Math.ceil(ttlMs)), "NX"),
      );
      if (stored !== "OK") {
        throw new ConflictError({ code: "nonce_exists", message: "This nonce was already issued." });
      }
    },
    consume: async (nonce) => {
      const value = await redisCall("nonce consumption", () => redis.getdel(key(nonce)));
      return value !== null && Number(value) > clock.now();
    },
  };
}

const storedSession = z.object({
  address: z.string().transform((value) => getAddress(value)),
  chainId: z.number().int().positive(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
});

export function createRedisSessionStore({ redis, clock, keyPrefix }: RedisStoreParameters): SessionStore {
  const key = (id: string) => `${keyPrefix}session:${id}`;
  return {
    create: async ({ id, address, chainId, ttlMs }) => {
      const createdAt = clock.now();
      const expiresAt = createdAt + ttlMs;
      const value = JSON.stringify({ address, chainId, createdAt, expiresAt });
      const stored = await redisCall("session creation", () =>
        redis.set(key(id), value, "PX", Math.max(1, Math.ceil(ttlMs)), "NX"),
      );
      if (stored !== "OK") {
        throw new ConflictError({ code: "session_exists", message: "This session id is already taken." });
      }
      return {
        id,
        address: getAddress(address),
        chainId,
        createdAt: new Date(createdAt),
        expiresAt: new Date(expiresAt),
      };
    },
    get: async (id) => {
      const raw = await redisCall("session lookup", () => redis.get(key(id)));
      if (raw === null) return null;
      let parsed: z.output<typeof storedSession>;
      try {
        parsed = storedSession.parse(JSON.parse(raw));
      } catch {
        return null;
      }
      if (parsed.expiresAt <= clock.now()) return null;
      const session: Session = {
        id,
        address: parsed.address,
        chainId: parsed.chainId,
        createdAt: new Date(parsed.createdAt),
        expiresAt: new Date(parsed.expiresAt),
      };
      return session;
    },
    delete: async (id) => (await redisCall("session deletion", () => redis.del(key(id)))) > 0,
  };
}
