/**
 * Wires the agent's real dependencies from a parsed config: the store (PGlite or PostgreSQL), Redis when
 * configured (rate limits, nonces, sessions) or the store otherwise, the oracle signer, health checks, the
 * app. `main.ts` calls it and listens; tests call it with their own config.
 */
import type { Express } from "express";
import { createRedisNonceStore, createRedisSessionStore } from "./auth/redisStores.ts";
import type { NonceStore, SessionStore } from "./auth/stores.ts";
import { privateKeySigner } from "./attestation/signer.ts";
import type { Clock } from "./clock.ts";
import { type Config, redactedConfig } from "./config.ts";
import { createApp } from "./http/createApp.ts";
import { redisHealthCheck, signerHealthCheck } from "./http/healthChecks.ts";
import type { HealthCheck } from "./http/healthRouter.ts";
import { createRateLimits } from "./limits/rateLimits.ts";
import { createRedisClient, waitForRedis } from "./limits/redisClient.ts";
import type { Logger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { openStore } from "./store/index.ts";
import type { Store } from "./store/store.ts";

export interface AssembleAgentParameters {
  config: Config;
  clock: Clock;
  logger: Logger;
}

export interface AssembleAgentReturnType {
  app: Express;
  store: Store;
  /** The oracle address, when a key is configured. */
  oracle: string | undefined;
  /** Starts the periodic work (indexer, keeper, reconciliation, coach); call once the server listens. */
  startBackground(): void;
  /** Stops the periodic work, then closes Redis and the store (after the HTTP server has stopped). */
  close(): Promise<void>;
}

/** A periodic job the agent runs beside the HTTP server. `stop` resolves once its current run has ended. */
export interface BackgroundTask {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

export async function assembleAgent({
  config,
  clock,
  logger,
}: AssembleAgentParameters): Promise<AssembleAgentReturnType> {
  const metrics = createMetrics();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, clock });
  const checks: Record<string, HealthCheck> = { store: () => store.ping() };

  let sessions: SessionStore = store.sessions;
  let nonces: NonceStore = store.siweNonces;
  const redis = config.redisUrl ? createRedisClient({ url: config.redisUrl, logger }) : undefined;
  if (redis) {
    if (!(await waitForRedis(redis, 2_000))) {
      logger.warn("redis is not reachable yet: rate limits use memory until it is");
    }
    sessions = createRedisSessionStore({ redis, clock, keyPrefix: config.redisKeyPrefix });
    nonces = createRedisNonceStore({ redis, clock, keyPrefix: config.redisKeyPrefix });
    checks.redis = redisHealthCheck(redis);
  }

  const signer = config.oraclePrivateKey ? privateKeySigner(config.oraclePrivateKey.reveal()) : undefined;
  if (signer) checks.signer = signerHealthCheck(signer);

  const limiter = createRateLimits({
    rules: config.rateLimits,
    redis,
    keyPrefix: config.redisKeyPrefix,
    logger,
    metrics,
  });
  const app = createApp({ config, clock, logger, metrics, sessions, nonces, limiter, health: { checks } });

  await store.auditLog.append({
    actor: "system",
    action: "agent.started",
    // JSON round trip: the audit log stores JSON only (unset options are dropped, not `undefined`).
    details: {
      config: JSON.parse(JSON.stringify(redactedConfig(config))) as Record<string, unknown>,
      oracle: signer?.address ?? null,
    },
  });

  const background: BackgroundTask[] = [];
  let started = false;
  return {
    app,
    store,
    oracle: signer?.address,
    startBackground() {
      if (started) return;
      started = true;
      for (const task of background) {
        task.start();
        logger.info({ task: task.name }, "background task started");
      }
    },
    async close() {
      await Promise.all(background.map((task) => task.stop()));
      redis?.disconnect();
      await store.close();
    },
  };
}
