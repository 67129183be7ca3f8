/**
 * Wires the agent's real dependencies from a parsed config: the store (PGlite or PostgreSQL), Redis when
 * configured (rate limits, nonces, sessions, locks, the coach's BullMQ scheduler) or the store otherwise, the
 * oracle signer, the chain (client checked at startup, vault reader, indexer, keeper, claim relayer), the
 * routes (workouts, commitments, coach, Strava) and the periodic housekeeping. `main.ts` calls it and listens;
 * tests and the demo call it with their own config and clock.
 *
 * Nothing periodic runs until `startBackground()`; `close()` stops it all in order (loops first, then the
 * transaction sender and the relayer, then Redis and the store).
 *
 * `assemble` lists the steps in the order their resources open; each registers its teardown with one `Closer`
 * (lifecycle/closer.ts), which undoes them newest first when a later step fails or the agent closes.
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
import { reviewRouter } from "./http/reviewRouter.ts";
import { statusRouter } from "./http/statusRouter.ts";
import { workoutsRouter } from "./http/workoutsRouter.ts";
import { Closer } from "./lifecycle/closer.ts";
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
import { PGLITE_CHECKPOINT_INTERVAL_MS } from "./store/pgliteWal.ts";
import { redisChangeRelay } from "./store/redisChangeRelay.ts";
import type { Store } from "./store/store.ts";
import { createOpsSampler, type OpsSampler, type OpsSamplerChain } from "./telemetry/opsSampler.ts";
import { createWorkoutParsePool } from "./workouts/workoutParsePool.ts";

export interface AssembleAgentParameters {
  config: Config;
  clock: Clock;
  logger: Logger;
  /**
   * Something the agent cannot serve without broke for good (PGlite's thread died): main.ts stops the process
   * with a non-zero code so its supervisor restarts it. Logged as fatal either way.
   */
  onFatal?: (error: Error) => void;
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

/** How often expired sessions, nonces, idempotency keys, OAuth states and leases are purged (in bounded batches). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;
/** Rows of each kind one housekeeping run purges; a full batch makes the loop run again at once (101 runs at most). */
export const HOUSEKEEPING_BATCH = 500;
/** How often the alerts' gauges (backlogs, balance, indexer lag, signer) are sampled. */
export const OPS_SAMPLE_INTERVAL_MS = 30_000;
/** The relayer answers `pending` after this long, well inside the request timeout. */
const RELAYER_RESPONSE_MARGIN_MS = 5_000;

export async function assembleAgent({
  config,
  clock: wallClock,
  logger,
  onFatal,
}: AssembleAgentParameters): Promise<AssembleAgentReturnType> {
  const chainClock =
    config.clockSource === "chain" ? createChainClock({ wall: wallClock, logger }) : undefined;
  const clock: Clock = chainClock ?? wallClock;
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgliteThread: config.pgliteThread,
    onThreadExit: (error) => {
      logger.fatal({ err: error }, "the database thread is gone: every store call fails; stopping the agent");
      onFatal?.(error);
    },
    clock,
    // Leases measure real time, never the chain-following business clock (replicas' offsets differ).
    leaseClock: wallClock,
    onChangeListenerError: (error) => logger.error({ err: error }, "a store change listener failed"),
  });
  // Undone in reverse when assembly fails half-way, and by close() once it succeeded.
  const closer = new Closer({
    onError: (name, error) => logger.error({ err: error, component: name }, "error while closing"),
  });
  closer.add("store", () => store.close());
  const assembly: Assembly = {
    config,
    clock,
    logger,
    metrics: createMetrics(),
    store,
    closer,
    checks: { store: () => store.ping() },
    background: [],
    tasks: {},
  };
  try {
    return await assemble(assembly, chainClock);
  } catch (error) {
    await closer.close();
    throw error;
  }
}

/** The parts every wiring step reads, and the lists they add to. */
interface Assembly {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  /** Closes what the steps opened, newest first. */
  closer: Closer;
  /** `GET /health?deep=1`'s checks. */
  checks: Record<string, HealthCheck>;
  /** Started by `startBackground()`, in this order. */
  background: BackgroundTask[];
  tasks: AgentTasks;
}

/** The steps, in the order their resources open (and close in reverse). */
async function assemble(
  assembly: Assembly,
  chainClock: ChainClock | undefined,
): Promise<AssembleAgentReturnType> {
  const { logger } = assembly;
  const { redis, sessions, nonces } = await connectRedis(assembly);
  const views = commitmentViews(assembly, redis);
  if (redis !== undefined && views !== undefined && !(await views.relayed(2_000))) {
    logger.warn(
      "store change relay not subscribed yet: cached commitment views rely on their TTL until it is",
    );
  }
  const signer = oracleSigner(assembly);
  const chain = await wireChain(assembly, { chainClock, redis, signer });
  const coach = wireCoach(assembly, { redis, chain, signer });
  const routes = apiRoutes(assembly, { signer, chain, coach, views: views?.cache });
  scheduleHousekeeping(assembly);
  schedulePgliteCheckpoints(assembly);
  scheduleOpsSampling(assembly, { signer, chain });
  const { app, internalApp } = buildApps(assembly, { sessions, nonces, redis, routes, chain });
  await recordStart(assembly, signer);
  return agentHandle(assembly, { app, internalApp, oracle: signer?.address });
}

/** Redis when configured: sessions and SIWE nonces move there (else the store keeps them), behind the session cache. */
async function connectRedis({ config, clock, logger, store, closer, checks }: Assembly): Promise<{
  redis: Redis | undefined;
  sessions: SessionStore;
  nonces: NonceStore;
}> {
  let sessions: SessionStore = store.sessions;
  let nonces: NonceStore = store.siweNonces;
  let redis: Redis | undefined;
  if (config.redisUrl) {
    const client = createRedisClient({
      url: config.redisUrl,
      logger,
      commandTimeoutMs: config.redisCommandTimeoutMs,
    });
    redis = client;
    closer.add("redis", async () => client.disconnect());
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
  return { redis, sessions, nonces };
}

/**
 * The `GET /api/commitments/:id` cache (none when `COMMITMENT_VIEW_CACHE_SECONDS` is 0), kept true by this
 * process's store changes and, with Redis, by the other replicas' (relayed over pub/sub).
 */
function commitmentViews(
  { config, clock, logger, store, closer }: Assembly,
  redis: Redis | undefined,
): { cache: CommitmentViewCache; relayed: (timeoutMs: number) => Promise<boolean> } | undefined {
  if (config.commitmentViewCacheMs === 0) return undefined;
  const cache = createCommitmentViewCache({ clock, ttlMs: config.commitmentViewCacheMs });
  const unsubscribe = store.changes.subscribe(cache.invalidate);
  closer.add("commitment view cache", async () => unsubscribe());
  if (redis === undefined) return { cache, relayed: async () => true };
  const relay = redisChangeRelay({
    redis,
    keyPrefix: config.redisKeyPrefix,
    changes: store.changes,
    apply: cache.invalidate,
    logger,
  });
  closer.add("store change relay", () => relay.close());
  return { cache, relayed: (timeoutMs) => relay.ready(timeoutMs) };
}

function oracleSigner({ config, checks }: Assembly): AttestationSigner | undefined {
  if (!config.oraclePrivateKey) return undefined;
  const signer = privateKeySigner(config.oraclePrivateKey.reveal());
  checks.signer = signerHealthCheck(signer);
  return signer;
}

/** What the chain steps wired; each part is absent when its configuration is. */
interface WiredChain {
  target: ChainTarget | undefined;
  /** Also verifies smart-wallet sign-ins (EIP-1271, ERC-6492). */
  client?: ChainClient;
  reader?: ViemVaultReader;
  relayer?: ClaimRelayerService;
  /** What the operations sampler reads (the alerts' gauges). */
  sampled?: OpsSamplerChain;
  operator?: Address;
}

/** One client, checked before anything reads it (wrong chain id or no vault code stops the boot); then the vault's followers and senders. */
async function wireChain(
  assembly: Assembly,
  {
    chainClock,
    redis,
    signer,
  }: { chainClock: ChainClock | undefined; redis: Redis | undefined; signer: AttestationSigner | undefined },
): Promise<WiredChain> {
  const { config, closer, checks } = assembly;
  const target: ChainTarget | undefined =
    config.vault === undefined ? undefined : { chainId: config.chainId, vault: config.vault.address };
  if (config.rpcUrl === undefined) return { target };
  const client = createChainClient({ rpcUrl: config.rpcUrl, chainId: config.chainId });
  checks.rpc = rpcHealthCheck(client, config.chainId);
  await verifyChain({ client, chainId: config.chainId, vault: config.vault?.address });
  if (chainClock !== undefined) {
    await chainClock.follow(client);
    closer.add("chain clock", async () => chainClock.stop());
  }
  if (config.vault === undefined) return { target, client };
  const vault = config.vault.address;
  const reader = createVaultReader({ client, chainId: config.chainId, vault });
  followChain(assembly, { client, reader, vault, deploymentBlock: config.vault.deploymentBlock });
  const operatorKey = config.operatorPrivateKey;
  const operated =
    operatorKey === undefined
      ? {}
      : await wireOperator(assembly, { client, reader, vault, redis, signer, operatorKey });
  return { target, client, reader, sampled: { client, chainId: config.chainId, vault }, ...operated };
}

/** The indexers: the vault's events into the store, and the ChallengePool's when one is configured. */
function followChain(
  { config, logger, store, background, tasks }: Assembly,
  {
    client,
    reader,
    vault,
    deploymentBlock,
  }: { client: ChainClient; reader: ViemVaultReader; vault: Address; deploymentBlock: number },
): void {
  const { confirmations, maxBlockRange, pollIntervalMs } = config.indexer;
  const indexer = createIndexer({
    client,
    reader,
    store,
    logger,
    chainId: config.chainId,
    vault,
    deploymentBlock,
    confirmations,
    maxBlockRange,
  });
  tasks.indexer = indexer;
  background.push(loopTask("indexer", indexer, pollIntervalMs));
  if (config.challengePool === undefined) return;
  const challengeIndexer = createChallengeIndexer({
    client,
    store,
    logger,
    chainId: config.chainId,
    pool: config.challengePool.address,
    deploymentBlock: config.challengePool.deploymentBlock,
    confirmations,
    maxBlockRange,
  });
  tasks.challengeIndexer = challengeIndexer;
  background.push(loopTask("challenge indexer", challengeIndexer, pollIntervalMs));
}

interface OperatorParts {
  client: ChainClient;
  reader: ViemVaultReader;
  vault: Address;
  redis: Redis | undefined;
  signer: AttestationSigner | undefined;
}

/** The operator key's transaction sender, and what sends through it: the keeper, the challenge settler, the claim relayer. */
async function wireOperator(
  assembly: Assembly,
  { operatorKey, ...parts }: OperatorParts & { operatorKey: NonNullable<Config["operatorPrivateKey"]> },
): Promise<{ operator: Address; relayer?: ClaimRelayerService }> {
  const { config, clock, logger, store, closer } = assembly;
  const lock = lockOf(assembly, parts.redis);
  const sender = createTransactionSender({
    client: parts.client,
    account: operatorAccount(operatorKey.reveal()),
    chainId: config.chainId,
    transactions: store.chainTransactions,
    clock,
    logger,
    // Replicas share the operator key: one sends at a time (the store's lock, which sending needs anyway).
    lock: createStoreLock({ locks: store.locks }),
  });
  if (config.keeper.enabled) await wireKeeper(assembly, { ...parts, sender, lock });
  const relayer = config.relayer.enabled
    ? wireRelayer(assembly, { vault: parts.vault, sender, lock })
    : undefined;
  // After the loops have stopped: stop following receipts, then wait for the relayer's claims.
  closer.add("chain sender", async () => {
    await sender.close();
    await relayer?.close();
  });
  return { operator: sender.address, ...(relayer === undefined ? {} : { relayer }) };
}

type Sender = ReturnType<typeof createTransactionSender>;

/** Slashes missed milestones; with a pool, also settles its participants whose milestones are all settled. */
async function wireKeeper(
  { config, logger, metrics, store, background, tasks }: Assembly,
  { client, reader, vault, signer, sender, lock }: OperatorParts & { sender: Sender; lock: Lock },
): Promise<void> {
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
    reader,
    sender,
    store,
    lock,
    logger,
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
  background.push(
    resumeFirst(logger, "slashes", keeper, loopTask("keeper", keeper, config.keeper.intervalMs)),
  );
  if (config.challengePool === undefined) return;
  // Settles pool participants whose milestones are all settled, so finishers can claim.
  const settler = createChallengeSettler({
    chainId: config.chainId,
    vault,
    pool: config.challengePool.address,
    sender,
    store,
    lock,
    logger,
    maxPerRun: Math.min(config.keeper.maxPerRun, 50),
  });
  tasks.challengeSettler = settler;
  background.push(
    resumeFirst(
      logger,
      "settlements",
      settler,
      loopTask("challenge settler", settler, config.keeper.intervalMs),
    ),
  );
}

/** Sends owners' claims for them (`POST /api/commitments/:id/claims`); at start, follows the ones a crash left pending. */
function wireRelayer(
  { config, logger, metrics, store, background }: Assembly,
  { vault, sender, lock }: { vault: Address; sender: Sender; lock: Lock },
): ClaimRelayerService {
  const relayer = createClaimRelayer({
    chainId: config.chainId,
    vault,
    sender,
    store,
    lock,
    logger,
    metrics,
    responseWaitMs: Math.max(1_000, config.http.requestTimeoutMs - RELAYER_RESPONSE_MARGIN_MS),
  });
  // No loop: the relayer only answers requests.
  background.push(
    resumeFirst(logger, "claims", relayer, { name: "relayer", start: () => {}, stop: async () => {} }),
  );
  return relayer;
}

/** Redis's lock when there is Redis (several replicas), else the store's. */
function lockOf({ config, store }: Assembly, redis: Redis | undefined): Lock {
  return redis
    ? createRedisLock({ redis, keyPrefix: config.redisKeyPrefix })
    : createStoreLock({ locks: store.locks });
}

/** The coach, and auto-settle (paid if you did it: met milestones claimed through the relayer, or the owner nudged to claim). */
function wireCoach(
  assembly: Assembly,
  {
    redis,
    chain,
    signer,
  }: { redis: Redis | undefined; chain: WiredChain; signer: AttestationSigner | undefined },
): Coach {
  const { config, clock, logger, metrics, store, background, tasks } = assembly;
  const coach = createCoach({
    store,
    clock,
    logger,
    settings: config.coach,
    chain: chain.target ?? null,
    ...(redis === undefined ? {} : { redis, bullPrefix: `${config.redisKeyPrefix}bull` }),
    metrics,
  });
  tasks.coach = coach;
  if (signer !== undefined && chain.reader !== undefined && chain.target !== undefined) {
    const autoSettle = createAutoSettle({
      context: { store, clock, metrics, logger, chain: chain.target },
      signer,
      reader: chain.reader,
      lock: lockOf(assembly, redis),
      relayer: chain.relayer,
      nudge: (parameters) => deployNudge(coach.deps, parameters),
      maxPerRun: config.keeper.autoSettleMaxPerRun,
      concurrency: config.keeper.autoSettleConcurrency,
      maxRunMs: config.keeper.autoSettleMaxRunMs,
    });
    tasks.autoSettle = autoSettle;
    background.push(loopTask("auto-settle", autoSettle, config.keeper.intervalMs));
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
  return coach;
}

/** The `/api` routers, Strava's when it is configured (with its reconciliation loop). */
function apiRoutes(
  assembly: Assembly,
  {
    signer,
    chain,
    coach,
    views,
  }: {
    signer: AttestationSigner | undefined;
    chain: WiredChain;
    coach: Coach;
    views: CommitmentViewCache | undefined;
  },
): ApiRoute[] {
  const { config, clock, logger, metrics, store, closer } = assembly;
  const services = { store, clock, metrics, logger, chain: chain.target };
  // Uploads are parsed and hashed on worker threads (one per core, a bounded backlog: 503 when full).
  const parsePool = createWorkoutParsePool();
  closer.add("workout parse pool", () => parsePool.close());
  const { relayer, reader } = chain;
  const routes: ApiRoute[] = [
    {
      path: "/workouts",
      router: workoutsRouter({
        ...services,
        config,
        idempotencyTtlMs: config.idempotencyTtlMs,
        requestTimeoutMs: config.http.requestTimeoutMs,
        parsePool,
      }),
    },
    {
      path: "/commitments",
      router: commitmentsRouter({
        ...services,
        signer,
        reader,
        relayer,
        idempotencyTtlMs: config.idempotencyTtlMs,
        requestTimeoutMs: config.http.requestTimeoutMs,
        views,
      }),
    },
    {
      path: "/challenges",
      router: challengesRouter({
        store,
        clock,
        chain: chain.target,
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
  const strava = wireStrava(assembly, services);
  if (strava !== undefined) routes.push(strava);
  return routes;
}

function wireStrava(
  { config, clock, logger, store, background, tasks }: Assembly,
  services: Parameters<typeof providerIngestSink>[0],
): ApiRoute | undefined {
  if (config.strava === undefined) return undefined;
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
  background.push({
    name: "strava reconciliation",
    start: () => strava.reconciler.start(reconcileIntervalMs),
    stop: () => strava.close(),
  });
  return { path: "/providers/strava", router: strava.router };
}

/**
 * Purges expired idempotency keys, sessions, SIWE nonces, OAuth states and leases every `HOUSEKEEPING_INTERVAL_MS`,
 * a batch of each per run, at once again while a batch came back full; then, on PGlite (no autovacuum), vacuums
 * those tables so the space of the purged rows is used again: once nothing is left to purge, and at least every
 * `HOUSEKEEPING_INTERVAL_MS` while a backlog lasts (a table that keeps refilling must not keep the others unvacuumed).
 */
function scheduleHousekeeping({ logger, store, background }: Assembly): void {
  let lastVacuumAt = performance.now();
  const vacuum = async () => {
    const vacuumMs = await store.vacuumChurnTables?.();
    lastVacuumAt = performance.now();
    if (vacuumMs !== undefined) logger.debug({ ms: Math.round(vacuumMs) }, "pglite tables vacuumed");
  };
  const housekeeping = createPollLoop({
    name: "housekeeping",
    intervalMs: HOUSEKEEPING_INTERVAL_MS,
    logger,
    run: async () => {
      const purged = {
        idempotencyKeys: await store.idempotencyKeys.purgeExpired({ limit: HOUSEKEEPING_BATCH }),
        sessions: await store.sessions.purgeExpired({ limit: HOUSEKEEPING_BATCH }),
        siweNonces: await store.siweNonces.purgeExpired({ limit: HOUSEKEEPING_BATCH }),
        oauthStates: await store.providerOauthStates.purgeExpired({ limit: HOUSEKEEPING_BATCH }),
        leases: await store.locks.purgeExpired({ limit: HOUSEKEEPING_BATCH }),
      };
      if (Object.values(purged).some((n) => n > 0)) logger.info({ purged }, "expired rows purged");
      const backlog = Object.values(purged).some((n) => n >= HOUSEKEEPING_BATCH);
      if (!backlog || performance.now() - lastVacuumAt >= HOUSEKEEPING_INTERVAL_MS) await vacuum();
      return backlog ? { again: true } : undefined;
    },
  });
  background.push({
    name: "housekeeping",
    start: () => housekeeping.start(),
    stop: () => housekeeping.stop(),
  });
}

/**
 * On PGlite, checks the WAL written since the last checkpoint every `PGLITE_CHECKPOINT_INTERVAL_MS` and checkpoints
 * once it reaches a segment: PGlite never does, and its WAL would grow for as long as the agent runs.
 */
function schedulePgliteCheckpoints({ logger, store, background }: Assembly): void {
  const checkpoint = store.checkpointIfDue;
  if (checkpoint === undefined) return;
  const loop = createPollLoop({
    name: "pglite checkpoint",
    intervalMs: PGLITE_CHECKPOINT_INTERVAL_MS,
    logger,
    traced: false,
    run: async () => {
      const { walBytes, checkpointed, checkpointMs } = await checkpoint();
      if (checkpointed) {
        logger.info({ walBytes, ms: Math.round(checkpointMs) }, "pglite checkpointed");
      } else {
        logger.debug({ walBytes }, "pglite WAL measured");
      }
      return undefined;
    },
  });
  background.push({ name: "pglite checkpoint", start: () => loop.start(), stop: () => loop.stop() });
}

/** Samples the alerts' gauges (backlogs, operator balance, indexer lag, signer) every `OPS_SAMPLE_INTERVAL_MS`. */
function scheduleOpsSampling(
  { clock, logger, metrics, store, checks, background, tasks }: Assembly,
  { signer, chain }: { signer: AttestationSigner | undefined; chain: WiredChain },
): void {
  const probeSigner = checks.signer;
  const opsSampler = createOpsSampler({
    store,
    metrics,
    clock,
    logger,
    chain: chain.sampled,
    operator: chain.operator,
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
  background.push({ name: "ops sampler", start: () => opsSampling.start(), stop: () => opsSampling.stop() });
}

/** The public app (rate limits, sessions, the routes) and the internal one (`/metrics`, deep health). */
function buildApps(
  { config, clock, logger, metrics, store, checks }: Assembly,
  {
    sessions,
    nonces,
    redis,
    routes,
    chain,
  }: {
    sessions: SessionStore;
    nonces: NonceStore;
    redis: Redis | undefined;
    routes: ApiRoute[];
    chain: WiredChain;
  },
): { app: Express; internalApp: Express } {
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
    ...(chain.client === undefined ? {} : { chainClient: chain.client }),
  });
  const internalApp = createInternalApp({
    config,
    logger,
    metrics,
    health: { checks, details: healthDetails({ store, metrics }) },
  });
  return { app, internalApp };
}

async function recordStart(
  { config, store, background }: Assembly,
  signer: AttestationSigner | undefined,
): Promise<void> {
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
}

function agentHandle(
  { logger, store, metrics, closer, background, tasks }: Assembly,
  { app, internalApp, oracle }: { app: Express; internalApp: Express; oracle: string | undefined },
): AssembleAgentReturnType {
  let started = false;
  return {
    app,
    internalApp,
    store,
    metrics,
    oracle,
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
      await closer.close();
    },
  };
}

/** A loop started with its interval, stopped after its current run. */
function loopTask(
  name: string,
  loop: { start(intervalMs: number): void; stop(): Promise<void> },
  intervalMs: number,
): BackgroundTask {
  return { name, start: () => loop.start(intervalMs), stop: () => loop.stop() };
}

/** A sender's task: at start, follows what a crash left pending first (logged, never awaited). */
function resumeFirst(
  logger: Logger,
  pending: string,
  service: { resumePending(): Promise<unknown> },
  task: BackgroundTask,
): BackgroundTask {
  return {
    ...task,
    start: () => {
      service.resumePending().then(
        (resumed) => logger.info({ resumed }, `${task.name}: pending ${pending} followed`),
        (error: unknown) => logger.error({ err: error }, `${task.name}: resuming pending ${pending} failed`),
      );
      task.start();
    },
  };
}
