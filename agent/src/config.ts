/**
 * The agent's configuration, parsed once at boot from the environment and passed down. Nothing else reads
 * `process.env`. A wrong value stops the boot with a `ConfigError` whose message is one line naming the
 * variable and what is wrong, never the value itself (it may be a secret).
 */
import { isLocalChain, LOCAL_CHAIN_ID } from "@resolution-autopilot/vocabulary/chains";
import { type Address, type Hex, isAddress } from "viem";
import { z } from "zod";
import { MULTICALL3_ADDRESS } from "./chain/multicall3.ts";
import { coachEnvShape, coachSettingsFromEnv, redactedCoachSettings } from "./coach/coachConfig.ts";
import type { CoachSettings } from "./coach/coachSettings.ts";
import {
  boolean,
  fail,
  httpOrigin,
  integer,
  LOG_LEVELS,
  type LogLevel,
  nonZeroAddress,
  parseUrl,
  privateKey,
  Secret,
  urlWithProtocols,
} from "./configValues.ts";
import { AgentError } from "./errors.ts";
import { type StravaConfig, stravaConfigFromEnv, stravaEnvShape } from "./providers/strava/stravaConfig.ts";
import {
  redactedTelemetryConfig,
  type TelemetryConfig,
  telemetryConfigFromEnv,
  telemetryEnvShape,
} from "./telemetry/telemetryConfig.ts";

export { LOG_LEVELS, type LogLevel, Secret } from "./configValues.ts";

/** A configuration variable is missing or wrong. `details.variable` names it. */
export class ConfigError extends AgentError {}

export type SameSite = "lax" | "strict";

export interface RateLimitRule {
  /** Requests allowed per window and per key (client IP, and signed-in address). */
  points: number;
  windowSeconds: number;
}

export interface Config {
  port: number;
  host: string;
  /**
   * The internal listener: `GET /metrics` and `GET /health?deep=1`, kept off the public port (they tell an
   * attacker what is slow or down). `INTERNAL_PORT` (default PORT + 1; 0 picks a free port), `INTERNAL_HOST`
   * (default 127.0.0.1: only the machine, or a scraper beside it in the same network namespace).
   */
  internal: { port: number; host: string };
  /** The web app's origin: the only origin CORS lets in (with credentials). `PUBLIC_ORIGIN`. */
  webOrigin: string;
  /** Where clients reach this agent (decides same-site cookies and the Secure flag). `AGENT_PUBLIC_URL`. */
  agentPublicUrl: string;
  /** What a Sign-In with Ethereum message must carry. */
  siwe: { domain: string; uri: string };
  chainId: number;
  rpcUrl: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  /**
   * Without DATABASE_URL: PGlite runs on a worker thread of its own (`PGLITE_THREAD`, default true), so its
   * WebAssembly uses the second core and the hot ingestion's transaction runs there whole (store/pgliteThread/).
   */
  pgliteThread: boolean;
  redisUrl: string | undefined;
  /** Prefix of every Redis key the agent writes (rate limits, nonces, sessions). */
  redisKeyPrefix: string;
  /** How long Redis may take to answer one command, in the agent's running time (limits/redisClient.ts). */
  redisCommandTimeoutMs: number;
  oraclePrivateKey: Secret<Hex> | undefined;
  /** The vault this agent serves, or undefined: then commitment routes answer 503 and nothing follows the chain. */
  vault: { address: Address; deploymentBlock: number } | undefined;
  /** The ChallengePool this agent follows (v2), or undefined: then the challenge routes answer 503. */
  challengePool: { address: Address; deploymentBlock: number } | undefined;
  /** Key of the account that pays for keeper slashes and relayed claims (never the oracle key). */
  operatorPrivateKey: Secret<Hex> | undefined;
  indexer: {
    /** Blocks behind the head that are considered final (0 on a local chain). */
    confirmations: number;
    /** Most blocks per `eth_getLogs` request. */
    maxBlockRange: number;
    pollIntervalMs: number;
  };
  /** `multicall3`: where the keeper batches slashes through `aggregate3` (used only if code is there). */
  /**
   * `autoSettleMaxPerRun`: met milestones automatic settlement tries to settle per run (same interval);
   * `autoSettleConcurrency`: of those, how many at once; `autoSettleMaxRunMs`: a run starts no new commitment
   * after this long (0: one commitment a run).
   */
  keeper: {
    enabled: boolean;
    intervalMs: number;
    maxPerTx: number;
    maxPerRun: number;
    autoSettleMaxPerRun: number;
    autoSettleConcurrency: number;
    autoSettleMaxRunMs: number;
    multicall3: Address;
  };
  /**
   * `chain`: the agent's clock follows the local chain's time when it is moved forward (`LOCAL_CHAIN_ID` only:
   * the demo, the browser tests, `npm start`). `system`: the wall clock.
   */
  clockSource: "system" | "chain";
  /** Gasless claims (`POST .../claim`), off by default. */
  relayer: { enabled: boolean };
  /** Proxy hops in front of the agent whose `X-Forwarded-*` headers are trusted (never `true`). */
  trustProxy: number;
  http: {
    bodyLimitBytes: number;
    uploadLimitBytes: number;
    requestTimeoutMs: number;
    healthCheckTimeoutMs: number;
  };
  rateLimits: { api: RateLimitRule; agent: RateLimitRule; upload: RateLimitRule; webhook: RateLimitRule };
  /** How long an `Idempotency-Key` answer is kept and replayed. */
  idempotencyTtlMs: number;
  /** How long a `GET /api/commitments/:id` answer is reused (store writes forget it sooner); 0 = never. */
  commitmentViewCacheMs: number;
  coach: CoachSettings;
  /** The Strava integration, or undefined when `STRAVA_CLIENT_ID` is unset. */
  strava: StravaConfig | undefined;
  session: {
    ttlMs: number;
    nonceTtlMs: number;
    sameSite: SameSite;
    cookieName: string;
    /** How long a session read is reused before the store is asked again; 0 = ask on every request. */
    cacheMs: number;
  };
  logLevel: LogLevel;
  /** Traces (OTLP) and error reporting (Sentry); both off unless configured. */
  telemetry: TelemetryConfig;
  /** Human review of rejected workouts: the addresses that may list and decide reviews (lower-case). */
  review: { operators: readonly Address[] };
}

export type LoadConfigParameters = Record<string, string | undefined>;
export type LoadConfigReturnType = Readonly<Config>;

const envSchema = z.object({
  PORT: integer(1, 65_535).default(8787),
  HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:-]{1,253}$/, "must be a host name or IP address to listen on")
    .default("127.0.0.1"),
  INTERNAL_PORT: integer(0, 65_535).optional(),
  INTERNAL_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:-]{1,253}$/, "must be a host name or IP address to listen on")
    .default("127.0.0.1"),
  PUBLIC_ORIGIN: httpOrigin.default("http://127.0.0.1:5173"),
  AGENT_PUBLIC_URL: urlWithProtocols(["http:", "https:"], "must be an http(s) URL").optional(),
  SIWE_DOMAIN: z
    .string()
    .regex(
      /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/,
      "must be an RFC 3986 authority (host[:port]), e.g. app.example.com",
    )
    .optional(),
  SIWE_URI: z
    .string()
    .transform((raw, ctx) => {
      const url = parseUrl(raw);
      if (url === null || /\s/.test(raw))
        return fail(ctx, "must be an absolute URI, e.g. https://app.example.com");
      return raw;
    })
    .optional(),
  CHAIN_ID: integer(1, Number.MAX_SAFE_INTEGER, "must be a positive whole number (EIP-155 chain id)").default(
    LOCAL_CHAIN_ID,
  ),
  RPC_URL: urlWithProtocols(["http:", "https:", "ws:", "wss:"], "must be an http(s) or ws(s) URL").optional(),
  DATABASE_URL: urlWithProtocols(
    ["postgres:", "postgresql:"],
    "must be a postgres:// or postgresql:// URL",
  ).optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  PGLITE_THREAD: boolean.default(true),
  REDIS_URL: urlWithProtocols(["redis:", "rediss:"], "must be a redis:// or rediss:// URL").optional(),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, "must be 1-64 characters from A-Z a-z 0-9 : _ -")
    .default("ra:"),
  REDIS_COMMAND_TIMEOUT_MS: integer(50, 60_000).default(1_000),
  ORACLE_PRIVATE_KEY: privateKey.optional(),
  VAULT_ADDRESS: nonZeroAddress.optional(),
  VAULT_DEPLOYMENT_BLOCK: integer(0, Number.MAX_SAFE_INTEGER, "must be a block number").default(0),
  CHALLENGE_POOL_ADDRESS: nonZeroAddress.optional(),
  CHALLENGE_POOL_DEPLOYMENT_BLOCK: integer(0, Number.MAX_SAFE_INTEGER, "must be a block number").default(0),
  OPERATOR_PRIVATE_KEY: privateKey.optional(),
  INDEXER_CONFIRMATIONS: integer(0, 1_000, "must be a whole number of blocks from 0 to 1000").optional(),
  INDEXER_MAX_BLOCK_RANGE: integer(1, 100_000).default(2_000),
  INDEXER_POLL_INTERVAL_MS: integer(100, 3_600_000).default(2_000),
  KEEPER_ENABLED: boolean.optional(),
  KEEPER_INTERVAL_MS: integer(1_000, 86_400_000).default(30_000),
  KEEPER_MAX_PER_TX: integer(1, 200).default(20),
  KEEPER_MAX_PER_RUN: integer(1, 10_000).default(200),
  AUTO_SETTLE_MAX_PER_RUN: integer(1, 10_000).default(100),
  AUTO_SETTLE_CONCURRENCY: integer(1, 64).default(8),
  AUTO_SETTLE_MAX_RUN_MS: integer(0, 600_000).default(20_000),
  KEEPER_MULTICALL3_ADDRESS: nonZeroAddress.default(MULTICALL3_ADDRESS),
  RELAYER_ENABLED: boolean.default(false),
  CLOCK_SOURCE: z.enum(["system", "chain"], { error: "must be system or chain" }).default("system"),
  TRUST_PROXY: integer(0, 32, "must be a whole number of proxy hops from 0 to 32 (not true/false)").default(
    0,
  ),
  BODY_LIMIT_BYTES: integer(1, 10 * 1024 * 1024).default(100 * 1024),
  UPLOAD_LIMIT_BYTES: integer(1, 200 * 1024 * 1024).default(25 * 1024 * 1024),
  REQUEST_TIMEOUT_MS: integer(100, 120_000).default(15_000),
  HEALTH_CHECK_TIMEOUT_MS: integer(50, 30_000).default(2_000),
  RATE_LIMIT_API_POINTS: integer(1, 1_000_000).default(100),
  RATE_LIMIT_API_WINDOW_SECONDS: integer(1, 86_400).default(900),
  RATE_LIMIT_AGENT_POINTS: integer(1, 1_000_000).default(20),
  RATE_LIMIT_AGENT_WINDOW_SECONDS: integer(1, 86_400).default(60),
  RATE_LIMIT_UPLOAD_POINTS: integer(1, 1_000_000).default(50),
  RATE_LIMIT_UPLOAD_WINDOW_SECONDS: integer(1, 86_400).default(3_600),
  RATE_LIMIT_WEBHOOK_POINTS: integer(1, 1_000_000).default(600),
  RATE_LIMIT_WEBHOOK_WINDOW_SECONDS: integer(1, 86_400).default(60),
  SESSION_TTL_SECONDS: integer(60, 30 * 86_400).default(86_400),
  NONCE_TTL_SECONDS: integer(30, 3_600).default(600),
  SESSION_CACHE_SECONDS: integer(0, 60).default(2),
  COMMITMENT_VIEW_CACHE_SECONDS: integer(0, 60).default(2),
  SESSION_SAME_SITE: z.enum(["lax", "strict"], { error: "must be lax or strict" }).optional(),
  IDEMPOTENCY_TTL_SECONDS: integer(60, 30 * 86_400).default(86_400),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  REVIEW_OPERATORS: z
    .string()
    .default("")
    .transform((raw) =>
      raw
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== ""),
    )
    .refine(
      (list) => list.every((a) => isAddress(a, { strict: false })),
      "must be comma-separated 0x addresses",
    )
    .transform((list) => [...new Set(list.map((a) => a.toLowerCase() as Address))]),
  ...coachEnvShape,
  ...stravaEnvShape,
  ...telemetryEnvShape,
});

/** Two hosts are the same site when equal or one is a subdomain of the other (a conservative test). */
function isSameSite(a: URL, b: URL): boolean {
  if (a.protocol !== b.protocol) return false;
  const [x, y] = [a.hostname, b.hostname];
  return x === y || x.endsWith(`.${y}`) || y.endsWith(`.${x}`);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !(value instanceof Secret)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses the environment into a frozen `Config`. Empty strings count as unset (a `.env` line `REDIS_URL=`).
 * Throws a `ConfigError` naming the first wrong variable.
 */
export function loadConfig(env: LoadConfigParameters): LoadConfigReturnType {
  const present: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== "") present[key] = value;
  }
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    const problem = (issue?.message ?? "is invalid").replace(/\s+/g, " ");
    throw new ConfigError({
      code: "invalid_config",
      message: `${variable}: ${problem}`,
      details: { variable },
    });
  }
  const e = parsed.data;
  const invalid = (variable: string, problem: string) =>
    new ConfigError({ code: "invalid_config", message: `${variable}: ${problem}`, details: { variable } });
  const chainReady = e.RPC_URL !== undefined && e.VAULT_ADDRESS !== undefined;
  if (
    e.OPERATOR_PRIVATE_KEY !== undefined &&
    e.ORACLE_PRIVATE_KEY !== undefined &&
    e.OPERATOR_PRIVATE_KEY.reveal().toLowerCase() === e.ORACLE_PRIVATE_KEY.reveal().toLowerCase()
  ) {
    throw invalid(
      "OPERATOR_PRIVATE_KEY",
      "must differ from ORACLE_PRIVATE_KEY (the oracle key only signs attestations)",
    );
  }
  if (e.RELAYER_ENABLED && (!chainReady || e.OPERATOR_PRIVATE_KEY === undefined)) {
    throw invalid("RELAYER_ENABLED", "needs RPC_URL, VAULT_ADDRESS and OPERATOR_PRIVATE_KEY");
  }
  if (e.CLOCK_SOURCE === "chain" && (!isLocalChain(e.CHAIN_ID) || e.RPC_URL === undefined)) {
    throw invalid(
      "CLOCK_SOURCE",
      `chain is for a local development chain only (needs RPC_URL and CHAIN_ID=${LOCAL_CHAIN_ID})`,
    );
  }
  if (e.KEEPER_ENABLED === true && (!chainReady || e.OPERATOR_PRIVATE_KEY === undefined)) {
    throw invalid("KEEPER_ENABLED", "needs RPC_URL, VAULT_ADDRESS and OPERATOR_PRIVATE_KEY");
  }
  const internalPort = e.INTERNAL_PORT ?? e.PORT + 1;
  if (internalPort === e.PORT || internalPort > 65_535) {
    throw invalid("INTERNAL_PORT", "must be a port other than PORT (metrics and deep health listen apart)");
  }
  const webOrigin = new URL(e.PUBLIC_ORIGIN);
  const listenHost = e.HOST.includes(":") ? `[${e.HOST}]` : e.HOST;
  const agentPublicUrl = e.AGENT_PUBLIC_URL ?? `http://${listenHost}:${e.PORT}`;
  const sameSite: SameSite =
    e.SESSION_SAME_SITE ?? (isSameSite(webOrigin, new URL(agentPublicUrl)) ? "strict" : "lax");
  const coach = coachSettingsFromEnv(e);
  if (Array.isArray(coach)) throw invalid(...coach);
  const strava = stravaConfigFromEnv(e, { agentPublicUrl, webOrigin: e.PUBLIC_ORIGIN });
  if (Array.isArray(strava)) throw invalid(...strava);
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    internal: { port: internalPort, host: e.INTERNAL_HOST },
    webOrigin: e.PUBLIC_ORIGIN,
    agentPublicUrl,
    siwe: { domain: e.SIWE_DOMAIN ?? webOrigin.host, uri: e.SIWE_URI ?? e.PUBLIC_ORIGIN },
    chainId: e.CHAIN_ID,
    rpcUrl: e.RPC_URL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    pgliteThread: e.PGLITE_THREAD,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    oraclePrivateKey: e.ORACLE_PRIVATE_KEY,
    vault:
      e.VAULT_ADDRESS === undefined
        ? undefined
        : { address: e.VAULT_ADDRESS, deploymentBlock: e.VAULT_DEPLOYMENT_BLOCK },
    challengePool:
      e.CHALLENGE_POOL_ADDRESS === undefined
        ? undefined
        : { address: e.CHALLENGE_POOL_ADDRESS, deploymentBlock: e.CHALLENGE_POOL_DEPLOYMENT_BLOCK },
    operatorPrivateKey: e.OPERATOR_PRIVATE_KEY,
    indexer: {
      confirmations: e.INDEXER_CONFIRMATIONS ?? (isLocalChain(e.CHAIN_ID) ? 0 : 2),
      maxBlockRange: e.INDEXER_MAX_BLOCK_RANGE,
      pollIntervalMs: e.INDEXER_POLL_INTERVAL_MS,
    },
    keeper: {
      enabled: e.KEEPER_ENABLED ?? (chainReady && e.OPERATOR_PRIVATE_KEY !== undefined),
      intervalMs: e.KEEPER_INTERVAL_MS,
      maxPerTx: e.KEEPER_MAX_PER_TX,
      maxPerRun: e.KEEPER_MAX_PER_RUN,
      autoSettleMaxPerRun: e.AUTO_SETTLE_MAX_PER_RUN,
      autoSettleConcurrency: e.AUTO_SETTLE_CONCURRENCY,
      autoSettleMaxRunMs: e.AUTO_SETTLE_MAX_RUN_MS,
      multicall3: e.KEEPER_MULTICALL3_ADDRESS,
    },
    clockSource: e.CLOCK_SOURCE,
    relayer: { enabled: e.RELAYER_ENABLED },
    trustProxy: e.TRUST_PROXY,
    http: {
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      uploadLimitBytes: e.UPLOAD_LIMIT_BYTES,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      healthCheckTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS,
    },
    rateLimits: {
      api: { points: e.RATE_LIMIT_API_POINTS, windowSeconds: e.RATE_LIMIT_API_WINDOW_SECONDS },
      agent: { points: e.RATE_LIMIT_AGENT_POINTS, windowSeconds: e.RATE_LIMIT_AGENT_WINDOW_SECONDS },
      upload: { points: e.RATE_LIMIT_UPLOAD_POINTS, windowSeconds: e.RATE_LIMIT_UPLOAD_WINDOW_SECONDS },
      webhook: { points: e.RATE_LIMIT_WEBHOOK_POINTS, windowSeconds: e.RATE_LIMIT_WEBHOOK_WINDOW_SECONDS },
    },
    idempotencyTtlMs: e.IDEMPOTENCY_TTL_SECONDS * 1000,
    commitmentViewCacheMs: e.COMMITMENT_VIEW_CACHE_SECONDS * 1000,
    coach,
    strava,
    session: {
      ttlMs: e.SESSION_TTL_SECONDS * 1000,
      nonceTtlMs: e.NONCE_TTL_SECONDS * 1000,
      sameSite,
      cookieName: "ra_session",
      cacheMs: e.SESSION_CACHE_SECONDS * 1000,
    },
    logLevel: e.LOG_LEVEL,
    telemetry: telemetryConfigFromEnv(e),
    review: { operators: e.REVIEW_OPERATORS },
  };
  return deepFreeze(config);
}

/** A URL without credentials, query or fragment; the path is kept only when asked (an RPC key often lives there). */
export function redactUrl(raw: string | undefined, keepPath: boolean): string | undefined {
  if (raw === undefined) return undefined;
  const url = parseUrl(raw);
  if (url === null) return "[invalid url]";
  const credentials = url.username !== "" || url.password !== "" ? "***@" : "";
  const path = url.pathname === "/" || url.pathname === "" ? "" : keepPath ? url.pathname : "/***";
  return `${url.protocol}//${credentials}${url.host}${path}${url.search === "" ? "" : "?***"}`;
}

/** The configuration for the startup audit log line: secrets removed, URLs without credentials. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    port: config.port,
    host: config.host,
    internal: { ...config.internal },
    webOrigin: config.webOrigin,
    agentPublicUrl: config.agentPublicUrl,
    siwe: { ...config.siwe },
    chainId: config.chainId,
    rpcUrl: redactUrl(config.rpcUrl, false),
    databaseUrl: redactUrl(config.databaseUrl, true),
    dataDir: config.dataDir,
    pgliteThread: config.pgliteThread,
    redisUrl: redactUrl(config.redisUrl, true),
    redisKeyPrefix: config.redisKeyPrefix,
    redisCommandTimeoutMs: config.redisCommandTimeoutMs,
    oraclePrivateKey: config.oraclePrivateKey === undefined ? "unset" : "set",
    vault: config.vault === undefined ? null : { ...config.vault },
    operatorPrivateKey: config.operatorPrivateKey === undefined ? "unset" : "set",
    indexer: { ...config.indexer },
    keeper: { ...config.keeper },
    clockSource: config.clockSource,
    relayer: { ...config.relayer },
    trustProxy: config.trustProxy,
    http: { ...config.http },
    rateLimits: {
      api: { ...config.rateLimits.api },
      agent: { ...config.rateLimits.agent },
      upload: { ...config.rateLimits.upload },
      webhook: { ...config.rateLimits.webhook },
    },
    idempotencyTtlMs: config.idempotencyTtlMs,
    commitmentViewCacheMs: config.commitmentViewCacheMs,
    coach: redactedCoachSettings(config.coach),
    strava:
      config.strava === undefined
        ? null
        : {
            clientId: config.strava.settings.clientId,
            baseUrl: config.strava.settings.baseUrl,
            subscriptionId: config.strava.settings.subscriptionId ?? null,
            redirectUri: config.strava.settings.redirectUri,
            tokensEncrypted: config.strava.settings.tokenEncryptionKey !== undefined,
            reconcileIntervalMs: config.strava.reconcileIntervalMs,
          },
    session: { ...config.session },
    logLevel: config.logLevel,
    telemetry: redactedTelemetryConfig(config.telemetry),
    review: { operators: [...config.review.operators] },
  };
}
