/**
 * Wires the agent's real dependencies from a parsed config: the store (PGlite or PostgreSQL), Redis when
 * configured (rate limits, nonces, sessions, locks, the coach's BullMQ scheduler) or the store otherwise, the
 * oracle signer, the chain (client checked at startup, vault reader, indexer, keeper, claim relayer), the
 * routes (workouts, commitments, coach, Strava) and the periodic housekeeping. `main.ts` calls it and listens;
 * tests and the demo call it with their own config and clock.
 *
 * Nothing periodic runs until `startBackground()`; `close()` stops it all in order (loops first, then the
 * transaction sender and the relayer, then Redis and the store).
 */
import type { Express } from "express";
import type { Redis } from "ioredis";
import type { Address } from "viem";
import { type AttestationSigner, privateKeySigner } from "./attestation/signer.ts";
import { createRedisNonceStore, createRedisSessionStore } from "./auth/redisStores.ts";
import { cachedSessionStore } from "./auth/sessionCache.ts";
import type { NonceStore, SessionStore } from "./auth/stores.ts";
import { type ChainClient, createChainClient, hasCode, verifyChain } from "./chain/chainClient.ts";
import { type ChainClock, createChainClock } from "./chain/chainClock.ts";
import { type ChallengeIndexer, createChallengeIndexer } from "./chain/challengeIndexer.ts";
import { type ChallengeSettler, createChallengeSettler } from "./chain/challengeSettler.ts";
import { type ClaimRelayerService, createClaimRelayer } from "./chain/claimRelayer.ts";
import { createIndexer, type Indexer } from "./chain/indexer.ts";
import { createKeeper, type Keeper } from "./chain/keeper.ts";
import type { Lock } from "./chain/lock.ts";
import { createPollLoop } from "./chain/pollLoop.ts";
import { createRedisLock } from "./chain/redisLock.ts";
import { createStoreLock } from "./chain/storeLock.ts";
import { createTransactionSender, operatorAccount } from "./chain/transactionSender.ts";
import { createVaultReader, type ViemVaultReader } from "./chain/vaultReader.ts";
import type { Clock } from "./clock.ts";
import { type Coach, createCoach } from "./coach/createCoach.ts";
import { deployNudge } from "./coach/nudges/deployNudge.ts";
import { type Config, redactedConfig } from "./config.ts";
import { challengesRouter } from "./http/challengesRouter.ts";
import { commitmentsRouter } from "./http/commitmentsRouter.ts";
import { type ApiRoute, createApp } from "./http/createApp.ts";
import { redisHealthCheck, rpcHealthCheck, signerHealthCheck } from "./http/healthChecks.ts";
import { healthDetails } from "./http/healthDetails.ts";
import type { HealthCheck } from "./http/healthRouter.ts";
import { createInternalApp } from "./http/internalApp.ts";
import { statusRouter } from "./http/statusRouter.ts";
import { reviewRouter } from "./http/reviewRouter.ts";
import { workoutsRouter } from "./http/workoutsRouter.ts";
import { createRateLimits } from "./limits/rateLimits.ts";
import { createRedisClient, waitForRedis } from "./limits/redisClient.ts";
import type { Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createStravaIntegration, type StravaIntegration } from "./providers/strava/stravaIntegration.ts";
import { type AutoSettle, createAutoSettle, slashGuardOf } from "./services/autoSettle.ts";
import { type CommitmentViewCache, createCommitmentViewCache } from "./services/commitmentViewCache.ts";
import { providerIngestSink } from "./services/providerIngestSink.ts";
import type { ChainTarget } from "./services/serviceContext.ts";
import { openStore } from "./store/index.ts";
import { redisChangeRelay } from "./store/redisChangeRelay.ts";
import type { Store } from "./store/store.ts";
import { createOpsSampler, type OpsSampler, type OpsSamplerChain } from "./telemetry/opsSampler.ts";
import { createWorkoutParsePool } from "./workouts/workoutParsePool.ts";

export interface AssembleAgentParameters {
  config: Config;
  clock: Clock;
  logger: Logger;
}

/** Handles for running one pass by hand (the demo, tests); the background loops run them on their own. */
export interface AgentTasks {
  indexer?: Pick<Indexer, "runOnce">;
  /** Follows the ChallengePool (when CHALLENGE_POOL_ADDRESS is set). */
  challengeIndexer?: Pick<ChallengeIndexer, "runOnce">;
  /** Settles pool participants (with the keeper, when a pool is configured). */
  challengeSettler?: Pick<ChallengeSettler, "runOnce">;
  keeper?: Pick<Keeper, "runOnce">;
  /** Claims met milestones (relayer on) or nudges their owners (off). */
  autoSettle?: Pick<AutoSettle, "runOnce">;
  coach?: Pick<Coach, "runPass">;
  strava?: Pick<StravaIntegration["reconciler"], "reconcileOnce">;
  /** Samples the alerts' gauges (backlogs, operator balance, indexer lag, signer) once. */
  opsSampler?: Pick<OpsSampler, "sampleOnce">;
}

export interface AssembleAgentReturnType {
  app: Express;
  /** `GET /metrics` and `GET /health?deep=1`, for the internal listener only (see internalApp.ts). */
  internalApp: Express;
  store: Store;
  metrics: Metrics;
  /** The oracle address, when a key is configured. */
  oracle: string | undefined;
  tasks: AgentTasks;
  /** Starts the periodic work (indexer, keeper, relayer recovery, reconciliation, coach, housekeeping); call once the server listens. */
  startBackground(): void;
  /** Stops the periodic work, then closes the chain sender, Redis and the store (after the HTTP server has stopped). */
  close(): Promise<void>;
}

/** A periodic job the agent runs beside the HTTP server. `stop` resolves once its current run has ended. */
export interface BackgroundTask {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

/** How often expired sessions, nonces, idempotency keys and OAuth states are purged (in bounded batches). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;
/** How often the alerts' gauges (backlogs, balance, indexer lag, signer) are sampled. */
export const OPS_SAMPLE_INTERVAL_MS = 30_000;
/** The relayer answers `pending` after this long, well inside the request timeout. */
const RELAYER_RESPONSE_MARGIN_MS = 5_000;

export async function assembleAgent({
  config,
  clock: wallClock,
  logger,
}: AssembleAgentParameters): Promise<AssembleAgentReturnType> {
  const chainClock =
    config.clockSource === "chain" ? createChainClock({ wall: wallClock, logger }) : undefined;
  const clock: Clock = chainClock ?? wallClock;
  const metrics = createMetrics();
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    clock,
    onChangeListenerError: (error) => logger.error({ err: error }, "a store change listener failed"),
  });
  // Undone in reverse when assembly fails half-way, and by close() once it succeeded.
  const closers: { name: string; close: () => Promise<void> }[] = [
    { name: "store", close: () => store.close() },
  ];
  const closeAll = async () => {
    for (const { name, close } of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.error({ err: error, component: name }, "error while closing");
      }
    }
  };

  try {
    return await assemble({ config, clock, logger }, metrics, store, closers, closeAll, chainClock);
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function assemble(
  { config, clock, logger }: AssembleAgentParameters,
  metrics: Metrics,
  store: Store,
  closers: { name: string; close: () => Promise<void> }[],
  closeAll: () => Promise<void>,
  chainClock: ChainClock | undefined,
): Promise<AssembleAgentReturnType> {
  const checks: Record<string, HealthCheck> = { store: () => store.ping() };
  const background: BackgroundTask[] = [];
  const tasks: AgentTasks = {};

  let sessions: SessionStore = store.sessions;
  let nonces: NonceStore = store.siweNonces;
  let redis: Redis | undefined;
  if (config.redisUrl) {
    const client = createRedisClient({ url: config.redisUrl, logger });
    redis = client;
    closers.push({ name: "redis", close: async () => client.disconnect() });
    if (!(await waitForRedis(client, 2_000))) {
      logger.warn("redis is not reachable yet: rate limits use memory until it is");
    }
    sessions = createRedisSessionStore({ redis: client, clock, keyPrefix: config.redisKeyPrefix });
    nonces = createRedisNonceStore({ redis: client, clock, keyPrefix: config.redisKeyPrefix });
    checks.redis = redisHealthCheck(client);
  }
  if (config.session.cacheMs > 0) {
    sessions = cachedSessionStore({ sessions, clock, ttlMs: config.session.cacheMs });
  }
  const views = commitmentViews({ config, clock, logger, store, redis, closers });
  if (redis !== undefined && views !== undefined && !(await views.relayed(2_000))) {
    logger.warn(
      "store change relay not subscribed yet: cached commitment views rely on their TTL until it is",
    );
  }

  let signer: AttestationSigner | undefined;
  if (config.oraclePrivateKey) {
    signer = privateKeySigner(config.oraclePrivateKey.reveal());
    checks.signer = signerHealthCheck(signer);
  }

  // The chain: one client, checked before anything reads it (wrong chain id or no vault code stops the boot).
  const chain: ChainTarget | undefined =
    config.vault === undefined ? undefined : { chainId: config.chainId, vault: config.vault.address };
  let reader: ViemVaultReader | undefined;
  let relayer: ClaimRelayerService | undefined;
  // What the operations sampler reads (the alerts' gauges), filled in as the chain is wired.
  let sampledChain: OpsSamplerChain | undefined;
  let operator: Address | undefined;
  // Also verifies smart-wallet sign-ins (EIP-1271, ERC-6492).
  let chainClient: ChainClient | undefined;
  if (config.rpcUrl !== undefined) {
    const client = createChainClient({ rpcUrl: config.rpcUrl, chainId: config.chainId });
    chainClient = client;
    checks.rpc = rpcHealthCheck(client, config.chainId);
    await verifyChain({ client, chainId: config.chainId, vault: config.vault?.address });
    if (chainClock !== undefined) {
      await chainClock.follow(client);
      closers.push({ name: "chain clock", close: async () => chainClock.stop() });
    }
    if (config.vault !== undefined) {
      const vault = config.vault.address;
      const vaultReader = createVaultReader({ client, chainId: config.chainId, vault });
      reader = vaultReader;
      sampledChain = { client, chainId: config.chainId, vault };
      const indexer = createIndexer({
        client,
        reader: vaultReader,
        store,
        logger: logger.child({ component: "indexer" }),
        chainId: config.chainId,
        vault,
        deploymentBlock: config.vault.deploymentBlock,
        confirmations: config.indexer.confirmations,
        maxBlockRange: config.indexer.maxBlockRange,
      });
      tasks.indexer = indexer;
      background.push({
        name: "indexer",
        start: () => indexer.start(config.indexer.pollIntervalMs),
        stop: () => indexer.stop(),
      });
      if (config.challengePool !== undefined) {
        const challengeIndexer = createChallengeIndexer({
          client,
          store,
          logger: logger.child({ component: "challenge-indexer" }),
          chainId: config.chainId,
          pool: config.challengePool.address,
          deploymentBlock: config.challengePool.deploymentBlock,
          confirmations: config.indexer.confirmations,
          maxBlockRange: config.indexer.maxBlockRange,
        });
        tasks.challengeIndexer = challengeIndexer;
        background.push({
          name: "challenge indexer",
          start: () => challengeIndexer.start(config.indexer.pollIntervalMs),
          stop: () => challengeIndexer.stop(),
        });
      }

      if (config.operatorPrivateKey !== undefined) {
        const lock: Lock = redis
          ? createRedisLock({ redis, keyPrefix: config.redisKeyPrefix })
          : createStoreLock({ locks: store.locks });
        const txSender = createTransactionSender({
          client,
          account: operatorAccount(config.operatorPrivateKey.reveal()),
          chainId: config.chainId,
          transactions: store.chainTransactions,
          clock,
          logger: logger.child({ component: "sender" }),
        });
        operator = txSender.address;
        if (config.keeper.enabled) {
          // Batches through Multicall3 when the chain has it (one front-run slash then fails alone).
          const multicall3 = await hasCode(client, config.keeper.multicall3);
          if (!multicall3) {
            logger.warn(
              { multicall3: config.keeper.multicall3 },
              "keeper: no Multicall3 on this chain; slash batches use the vault's all-or-nothing multicall",
            );
          }
          const keeper = createKeeper({
            chainId: config.chainId,
            vault,
            reader: vaultReader,
            sender: txSender,
            store,
            lock,
            logger: logger.child({ component: "keeper" }),
            metrics,
            maxPerTx: config.keeper.maxPerTx,
            maxPerRun: config.keeper.maxPerRun,
            ...(multicall3 ? { multicall3: config.keeper.multicall3 } : {}),
            // Never slash what this agent attested or saw met (services/autoSettle.ts claims it before).
            ...(signer === undefined
              ? {}
              : { withhold: slashGuardOf({ store, chain: { chainId: config.chainId, vault }, signer }) }),
          });
          tasks.keeper = keeper;
          background.push({
            name: "keeper",
            start: () => {
              keeper.resumePending().then(
                (resumed) => logger.info({ resumed }, "keeper: pending slashes followed"),
                (error: unknown) => logger.error({ err: error }, "keeper: resuming pending slashes failed"),
              );
              keeper.start(config.keeper.intervalMs);
            },
            stop: () => keeper.stop(),
          });
          if (config.challengePool !== undefined) {
            // Settles pool participants whose milestones are all settled, so finishers can claim.
            const settler = createChallengeSettler({
              chainId: config.chainId,
              vault,
              pool: config.challengePool.address,
              sender: txSender,
              store,
              lock,
              logger: logger.child({ component: "challenge-settler" }),
              maxPerRun: Math.min(config.keeper.maxPerRun, 50),
            });
            tasks.challengeSettler = settler;
            background.push({
              name: "challenge settler",
              start: () => {
                settler.resumePending().then(
                  (resumed) => logger.info({ resumed }, "challenge settler: pending settlements followed"),
                  (error: unknown) =>
                    logger.error({ err: error }, "challenge settler: resuming pending settlements failed"),
                );
                settler.start(config.keeper.intervalMs);
              },
              stop: () => settler.stop(),
            });
          }
        }
        if (config.relayer.enabled) {
          const claimRelayer = createClaimRelayer({
            chainId: config.chainId,
            vault,
            sender: txSender,
            store,
            lock,
            logger: logger.child({ component: "relayer" }),
            metrics,
            responseWaitMs: Math.max(1_000, config.http.requestTimeoutMs - RELAYER_RESPONSE_MARGIN_MS),
          });
          relayer = claimRelayer;
          background.push({
            name: "relayer",
            start: () => {
              claimRelayer.resumePending().then(
                (resumed) => logger.info({ resumed }, "relayer: pending claims followed"),
                (error: unknown) => logger.error({ err: error }, "relayer: resuming pending claims failed"),
              );
            },
            stop: async () => {},
          });
        }
        // After the loops have stopped: stop following receipts, then wait for the relayer's claims.
        closers.push({
          name: "chain sender",
          close: async () => {
            await txSender.close();
            await relayer?.close();
          },
        });
      }
    }
  }

  const services = { store, clock, metrics, logger, chain };
  const coach = createCoach({
    store,
    clock,
    logger,
    settings: config.coach,
    chain: chain ?? null,
    ...(redis === undefined ? {} : { redis, bullPrefix: `${config.redisKeyPrefix}bull` }),
    metrics,
  });
  tasks.coach = coach;
  // Paid if you did it: met milestones claimed through the relayer, or the owner nudged to claim.
  if (signer !== undefined && reader !== undefined && chain !== undefined) {
    const autoSettle = createAutoSettle({
      context: { store, clock, metrics, logger, chain },
      signer,
      reader,
      lock: redis
        ? createRedisLock({ redis, keyPrefix: config.redisKeyPrefix })
        : createStoreLock({ locks: store.locks }),
      relayer,
      nudge: (parameters) => deployNudge(coach.deps, parameters),
    });
    tasks.autoSettle = autoSettle;
    background.push({
      name: "auto-settle",
      start: () => autoSettle.start(config.keeper.intervalMs),
      stop: () => autoSettle.stop(),
    });
  }
  background.push({
    name: "coach",
    start: () => {
      coach.scheduler
        .start()
        .catch((error: unknown) => logger.error({ err: error }, "coach scheduler failed to start"));
    },
    stop: () => coach.scheduler.stop(),
  });

  // Uploads are parsed and hashed on worker threads (one per core, a bounded backlog: 503 when full).
  const parsePool = createWorkoutParsePool();
  closers.push({ name: "workout parse pool", close: () => parsePool.close() });
  const routes: ApiRoute[] = [
    {
      path: "/workouts",
      router: workoutsRouter({ ...services, config, idempotencyTtlMs: config.idempotencyTtlMs, parsePool }),
    },
    {
      path: "/commitments",
      router: commitmentsRouter({
        ...services,
        signer,
        reader,
        relayer,
        idempotencyTtlMs: config.idempotencyTtlMs,
        views: views?.cache,
      }),
    },
    {
      path: "/challenges",
      router: challengesRouter({
        store,
        clock,
        chain,
        pool:
          config.challengePool === undefined
            ? undefined
            : { chainId: config.chainId, address: config.challengePool.address },
      }),
    },
    {
      path: "/status",
      router: statusRouter({
        oracle: signer?.address,
        chainId: config.chainId,
        vault: config.vault?.address,
        relayerEnabled: relayer !== undefined,
        stravaEnabled: config.strava !== undefined,
      }),
    },
    { path: "/", router: coach.router },
    { path: "/", router: reviewRouter({ ...services, operators: new Set(config.review.operators) }) },
  ];

  if (config.strava !== undefined) {
    const { settings, reconcileIntervalMs } = config.strava;
    const strava = createStravaIntegration({
      settings,
      config,
      store,
      sink: providerIngestSink(services),
      clock,
      logger,
    });
    tasks.strava = strava.reconciler;
    routes.push({ path: "/providers/strava", router: strava.router });
    background.push({
      name: "strava reconciliation",
      start: () => strava.reconciler.start(reconcileIntervalMs),
      stop: () => strava.close(),
    });
  }

  const housekeeping = createPollLoop({
    name: "housekeeping",
    intervalMs: HOUSEKEEPING_INTERVAL_MS,
    logger,
    run: async () => {
      const purged = {
        idempotencyKeys: await store.idempotencyKeys.purgeExpired(),
        sessions: await store.sessions.purgeExpired(),
        siweNonces: await store.siweNonces.purgeExpired(),
        oauthStates: await store.providerOauthStates.purgeExpired(),
      };
      if (Object.values(purged).some((n) => n > 0)) logger.info({ purged }, "expired rows purged");
      return undefined;
    },
  });
  background.push({
    name: "housekeeping",
    start: () => housekeeping.start(),
    stop: () => housekeeping.stop(),
  });

  const probeSigner = checks.signer;
  const opsSampler = createOpsSampler({
    store,
    metrics,
    clock,
    logger,
    chain: sampledChain,
    operator,
    signer:
      signer === undefined || probeSigner === undefined
        ? undefined
        : { address: signer.address, probe: () => probeSigner(AbortSignal.timeout(5_000)) },
  });
  tasks.opsSampler = opsSampler;
  const opsSampling = createPollLoop({
    name: "ops sampler",
    intervalMs: OPS_SAMPLE_INTERVAL_MS,
    logger,
    traced: false,
    run: async () => {
      await opsSampler.sampleOnce();
      return undefined;
    },
  });
  background.push({
    name: "ops sampler",
    start: () => opsSampling.start(),
    stop: () => opsSampling.stop(),
  });

  const limiter = createRateLimits({
    rules: config.rateLimits,
    redis,
    keyPrefix: config.redisKeyPrefix,
    logger,
    metrics,
  });
  const app = createApp({
    config,
    clock,
    logger,
    metrics,
    sessions,
    nonces,
    limiter,
    store,
    health: { checks, details: healthDetails({ store, metrics }) },
    routes,
    ...(chainClient === undefined ? {} : { chainClient }),
  });
  const internalApp = createInternalApp({
    config,
    logger,
    metrics,
    health: { checks, details: healthDetails({ store, metrics }) },
  });

  await store.auditLog.append({
    actor: "system",
    action: "agent.started",
    // JSON round trip: the audit log stores JSON only (unset options are dropped, not `undefined`).
    details: {
      config: JSON.parse(JSON.stringify(redactedConfig(config))) as Record<string, unknown>,
      oracle: signer?.address ?? null,
      background: background.map((task) => task.name),
    },
  });

  let started = false;
  return {
    app,
    internalApp,
    store,
    metrics,
    oracle: signer?.address,
    tasks,
    startBackground() {
      if (started) return;
      started = true;
      for (const task of background) {
        task.start();
        logger.info({ task: task.name }, "background task started");
      }
    },
    async close() {
      await Promise.all(
        background.map((task) =>
          task
            .stop()
            .catch((error: unknown) => logger.error({ err: error, task: task.name }, "task failed to stop")),
        ),
      );
      await closeAll();
    },
  };
}

/**
 * The `GET /api/commitments/:id` cache (none when `COMMITMENT_VIEW_CACHE_SECONDS` is 0), kept true by this
 * process's store changes and, with Redis, by the other replicas' (relayed over pub/sub).
 */
function commitmentViews({
  config,
  clock,
  logger,
  store,
  redis,
  closers,
}: {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  redis: Redis | undefined;
  closers: { name: string; close: () => Promise<void> }[];
}): { cache: CommitmentViewCache; relayed: (timeoutMs: number) => Promise<boolean> } | undefined {
  if (config.commitmentViewCacheMs === 0) return undefined;
  const cache = createCommitmentViewCache({ clock, ttlMs: config.commitmentViewCacheMs });
  const unsubscribe = store.changes.subscribe(cache.invalidate);
  closers.push({ name: "commitment view cache", close: async () => unsubscribe() });
  if (redis === undefined) return { cache, relayed: async () => true };
  const relay = redisChangeRelay({
    redis,
    keyPrefix: config.redisKeyPrefix,
    changes: store.changes,
    apply: cache.invalidate,
    logger,
  });
  closers.push({ name: "store change relay", close: () => relay.close() });
  return { cache, relayed: (timeoutMs) => relay.ready(timeoutMs) };
}
