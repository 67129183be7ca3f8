/**
 * Fixed-window rate limits (rate-limiter-flexible) for the API as a whole, the coach (/api/agent) and
 * uploads. With Redis the counters are shared by every agent process (RateLimiterRedis); each Redis limiter
 * carries an in-memory insurance limiter, so when Redis disappears requests keep being served and limited
 * per process. The first fallback of an outage is logged once and counted in
 * `agent_rate_limiter_degradations_total`; when Redis is back the limiters use it again.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Config, RateLimitRule } from "../config.ts";
import { DependencyError } from "../errors.ts";
import type { Metrics } from "../metrics.ts";

export const LIMIT_NAMES = ["api", "agent", "upload", "webhook"] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the current window (0 when refused). */
  remaining: number;
  /** When refused: milliseconds until the window resets. */
  retryAfterMs: number;
}

export interface Limiter {
  readonly name: LimitName;
  readonly rule: RateLimitRule;
  /** Counts one request for `key`. Never rejects for an exhausted limit (see `allowed`). */
  consume(key: string): Promise<RateLimitDecision>;
}

export interface RateLimits {
  readonly api: Limiter;
  readonly agent: Limiter;
  readonly upload: Limiter;
  /** Per IP on a configured provider's webhook, in place of `api`: providers deliver every user's events from a few addresses. */
  readonly webhook: Limiter;
  /** Where counters live when all is well. */
  readonly store: "redis" | "memory";
  /** True while Redis is configured but unusable (limits enforced from memory). */
  readonly degraded: boolean;
  /** Stops listening to the Redis client (does not close it: the caller owns it). */
  close(): void;
}

export interface CreateRateLimitsParameters {
  rules: Config["rateLimits"];
  /** Shared counters in Redis when given (with memory insurance); memory only otherwise. */
  redis?: Redis;
  /** Redis key prefix (e.g. `ra:` → keys `ra:rl:api:...`). */
  keyPrefix: string;
  logger: Logger;
  metrics: Metrics;
}

type MemoryOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/** The memory limiter behind a Redis one; it reports each use, i.e. each request Redis could not count. */
class InsuranceLimiter extends RateLimiterMemory {
  readonly #onUse: () => void;

  constructor(options: MemoryOptions, onUse: () => void) {
    super(options);
    this.#onUse = onUse;
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>) {
    this.#onUse();
    return super.consume(key, points, options);
  }
}

type FlexibleLimiter = RateLimiterMemory | RateLimiterRedis;

function toLimiter(name: LimitName, rule: RateLimitRule, flexible: FlexibleLimiter): Limiter {
  return {
    name,
    rule,
    consume: async (key) => {
      try {
        const result = await flexible.consume(key);
        return { allowed: true, remaining: result.remainingPoints, retryAfterMs: 0 };
      } catch (error) {
        if (error instanceof RateLimiterRes) {
          return { allowed: false, remaining: 0, retryAfterMs: Math.max(0, error.msBeforeNext) };
        }
        throw new DependencyError({
          code: "rate_limiter_unavailable",
          message: "The rate limiter failed.",
          details: { limit: name },
          cause: error,
        });
      }
    },
  };
}

export function createRateLimits({
  rules,
  redis,
  keyPrefix,
  logger,
  metrics,
}: CreateRateLimitsParameters): RateLimits {
  let degraded = false;
  const onInsuranceUse = () => {
    if (degraded) return;
    degraded = true;
    metrics.limiterDegradations.inc({ store: "redis" });
    metrics.limiterDegraded.set({ store: "redis" }, 1);
    logger.warn(
      { event: "rate_limiter_degraded" },
      "rate limiter: Redis unavailable, enforcing limits from memory in this process until it returns",
    );
  };
  const onReady = () => {
    if (!degraded) return;
    degraded = false;
    metrics.limiterDegraded.set({ store: "redis" }, 0);
    logger.info(
      { event: "rate_limiter_restored" },
      "rate limiter: Redis available again, limits shared again",
    );
  };
  redis?.on("ready", onReady);
  if (redis !== undefined) metrics.limiterDegraded.set({ store: "redis" }, 0);

  const build = (name: LimitName): Limiter => {
    const rule = rules[name];
    const base = { points: rule.points, duration: rule.windowSeconds, keyPrefix: `${keyPrefix}rl:${name}` };
    if (redis === undefined) return toLimiter(name, rule, new RateLimiterMemory(base));
    const limiter = new RateLimiterRedis({
      ...base,
      storeClient: redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new InsuranceLimiter(base, onInsuranceUse),
    });
    return toLimiter(name, rule, limiter);
  };

  return {
    api: build("api"),
    agent: build("agent"),
    upload: build("upload"),
    webhook: build("webhook"),
    store: redis === undefined ? "memory" : "redis",
    get degraded() {
      return degraded;
    },
    close: () => {
      redis?.off("ready", onReady);
    },
  };
}
