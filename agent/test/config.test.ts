import { inspect } from "node:util";
import { expect } from "chai";
import { ConfigError, loadConfig, redactedConfig, Secret } from "../src/config.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected loadConfig to reject ${JSON.stringify(env)}`);
}

function expectConfigError(env: Record<string, string>, variable: string, problem: string): void {
  const error = errorOf(env);
  expect(error.message).to.equal(`${variable}: ${problem}`);
  expect(error.details).to.deep.equal({ variable });
}

describe("loadConfig", () => {
  it("reads REVIEW_OPERATORS as lower-case addresses without repeats, and refuses anything else", () => {
    const config = loadConfig({
      REVIEW_OPERATORS:
        " 0x70997970C51812dc3A010C7d01b50e0d17dc79C8,,0x70997970c51812dc3a010c7d01b50e0d17dc79c8 ",
    });
    expect(config.review.operators).to.deep.equal(["0x70997970c51812dc3a010c7d01b50e0d17dc79c8"]);
    expectConfigError(
      { REVIEW_OPERATORS: "0x1234,alice" },
      "REVIEW_OPERATORS",
      "must be comma-separated 0x addresses",
    );
  });

  it("gives the documented defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(JSON.parse(JSON.stringify(config))).to.deep.equal({
      port: 8787,
      host: "127.0.0.1",
      internal: { port: 8788, host: "127.0.0.1" },
      webOrigin: "http://127.0.0.1:5173",
      agentPublicUrl: "http://127.0.0.1:8787",
      siwe: { domain: "127.0.0.1:5173", uri: "http://127.0.0.1:5173" },
      chainId: 31337,
      dataDir: "./data",
      pgliteThread: true,
      redisKeyPrefix: "ra:",
      redisCommandTimeoutMs: 1000,
      indexer: { confirmations: 0, maxBlockRange: 2000, pollIntervalMs: 2000 },
      keeper: {
        enabled: false,
        intervalMs: 30000,
        maxPerTx: 20,
        maxPerRun: 200,
        autoSettleMaxPerRun: 100,
        autoSettleConcurrency: 8,
        autoSettleMaxRunMs: 20000,
        multicall3: "0xcA11bde05977b3631167028862bE2a173976CA11",
      },
      clockSource: "system",
      relayer: { enabled: false },
      review: { operators: [] },
      trustProxy: 0,
      http: {
        bodyLimitBytes: 102400,
        uploadLimitBytes: 26214400,
        requestTimeoutMs: 15000,
        healthCheckTimeoutMs: 2000,
      },
      rateLimits: {
        api: { points: 100, windowSeconds: 900 },
        agent: { points: 20, windowSeconds: 60 },
        upload: { points: 50, windowSeconds: 3600 },
        webhook: { points: 600, windowSeconds: 60 },
      },
      idempotencyTtlMs: 86400000,
      commitmentViewCacheMs: 2000,
      coach: {
        provider: "rules",
        maxIterations: 5,
        maxMessageChars: 2000,
        schedule: "*/15 * * * *",
        nudgeFrom: "Resolution Autopilot <coach@localhost>",
        webhookRetry: { attempts: 4, baseDelayMs: 500, maxDelayMs: 8000 },
        outbound: {
          allowPrivate: false,
          allowHttp: false,
          timeoutMs: 5000,
          maxBytes: 1048576,
          maxRedirects: 3,
        },
        calendarRefreshMs: 21600000,
        calendarMaxBytes: 1048576,
        tokens: {},
      },
      session: {
        ttlMs: 86400000,
        nonceTtlMs: 600000,
        sameSite: "strict",
        cookieName: "ra_session",
        cacheMs: 2000,
      },
      logLevel: "info",
      telemetry: {
        serviceName: "resolution-autopilot-agent",
        environment: "production",
      },
    });
    expect(config.telemetry.otlpEndpoint).to.equal(undefined);
    expect(config.telemetry.sentryDsn).to.equal(undefined);
    expect(config.strava).to.equal(undefined);
    expect(config.rpcUrl).to.equal(undefined);
    expect(config.databaseUrl).to.equal(undefined);
    expect(config.redisUrl).to.equal(undefined);
    expect(config.oraclePrivateKey).to.equal(undefined);
    expect(config.vault).to.equal(undefined);
    expect(config.operatorPrivateKey).to.equal(undefined);
  });

  describe("chain followers", () => {
    const OPERATOR = `0x${"22".repeat(32)}`;
    const VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const chain = {
      RPC_URL: "http://127.0.0.1:8545",
      VAULT_ADDRESS: VAULT.toLowerCase(),
    };

    it("reads the vault (checksummed) and turns the keeper on when it can send", () => {
      const config = loadConfig({
        ...chain,
        VAULT_DEPLOYMENT_BLOCK: "12",
        OPERATOR_PRIVATE_KEY: OPERATOR,
      });
      expect(config.vault).to.deep.equal({
        address: VAULT,
        deploymentBlock: 12,
      });
      expect(config.keeper.enabled).to.equal(true);
      expect(config.relayer.enabled).to.equal(false);
      expect(String(config.operatorPrivateKey)).to.equal("[redacted]");
      expect(config.operatorPrivateKey?.reveal()).to.equal(OPERATOR);
      expect(redactedConfig(config).operatorPrivateKey).to.equal("set");
    });

    it("reads the challenge pool (v2, optional, checksummed) and refuses a zero one", () => {
      expect(loadConfig(chain).challengePool).to.equal(undefined);
      const POOL = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
      expect(
        loadConfig({
          ...chain,
          CHALLENGE_POOL_ADDRESS: POOL.toLowerCase(),
          CHALLENGE_POOL_DEPLOYMENT_BLOCK: "7",
        }).challengePool,
      ).to.deep.equal({ address: POOL, deploymentBlock: 7 });
      expectConfigError(
        { CHALLENGE_POOL_ADDRESS: `0x${"0".repeat(40)}` },
        "CHALLENGE_POOL_ADDRESS",
        "must be a non-zero 0x address",
      );
    });

    it("waits two confirmations on a remote chain unless told otherwise", () => {
      expect(loadConfig({ CHAIN_ID: "84532" }).indexer.confirmations).to.equal(2);
      expect(loadConfig({ CHAIN_ID: "84532", INDEXER_CONFIRMATIONS: "12" }).indexer.confirmations).to.equal(
        12,
      );
    });

    it("lets the clock follow the chain on a local chain only", () => {
      expect(loadConfig({}).clockSource).to.equal("system");
      expect(loadConfig({ ...chain, CLOCK_SOURCE: "chain" }).clockSource).to.equal("chain");
      expectConfigError(
        { ...chain, CHAIN_ID: "84532", CLOCK_SOURCE: "chain" },
        "CLOCK_SOURCE",
        "chain is for a local development chain only (needs RPC_URL and CHAIN_ID=31337)",
      );
      expectConfigError({ CLOCK_SOURCE: "ntp" }, "CLOCK_SOURCE", "must be system or chain");
    });

    it("refuses a relayer or keeper that could not send, and an operator that is the oracle", () => {
      expectConfigError(
        { RELAYER_ENABLED: "true" },
        "RELAYER_ENABLED",
        "needs RPC_URL, VAULT_ADDRESS and OPERATOR_PRIVATE_KEY",
      );
      expectConfigError(
        { ...chain, KEEPER_ENABLED: "true" },
        "KEEPER_ENABLED",
        "needs RPC_URL, VAULT_ADDRESS and OPERATOR_PRIVATE_KEY",
      );
      expectConfigError(
        { OPERATOR_PRIVATE_KEY: KEY, ORACLE_PRIVATE_KEY: KEY },
        "OPERATOR_PRIVATE_KEY",
        "must differ from ORACLE_PRIVATE_KEY (the oracle key only signs attestations)",
      );
      expectConfigError(
        { VAULT_ADDRESS: `0x${"0".repeat(40)}` },
        "VAULT_ADDRESS",
        "must be a non-zero 0x address",
      );
      expectConfigError({ RELAYER_ENABLED: "yes" }, "RELAYER_ENABLED", "must be true or false");
    });
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "9000",
      HOST: "0.0.0.0",
      PUBLIC_ORIGIN: "https://app.example.com/",
      AGENT_PUBLIC_URL: "https://api.other.org",
      SIWE_DOMAIN: "app.example.com",
      SIWE_URI: "https://app.example.com/login",
      CHAIN_ID: "8453",
      RPC_URL: "wss://rpc.example.com/v2/secretkey",
      DATABASE_URL: "postgres://agent:pw@db:5432/agent",
      DATA_DIR: "/var/lib/agent",
      PGLITE_THREAD: "false",
      REDIS_URL: "rediss://:pw@cache:6380/1",
      REDIS_KEY_PREFIX: "prod:",
      ORACLE_PRIVATE_KEY: KEY,
      TRUST_PROXY: "2",
      BODY_LIMIT_BYTES: "2048",
      UPLOAD_LIMIT_BYTES: "4096",
      REQUEST_TIMEOUT_MS: "5000",
      HEALTH_CHECK_TIMEOUT_MS: "300",
      RATE_LIMIT_API_POINTS: "7",
      RATE_LIMIT_API_WINDOW_SECONDS: "8",
      RATE_LIMIT_AGENT_POINTS: "9",
      RATE_LIMIT_AGENT_WINDOW_SECONDS: "10",
      RATE_LIMIT_UPLOAD_POINTS: "11",
      RATE_LIMIT_UPLOAD_WINDOW_SECONDS: "12",
      RATE_LIMIT_WEBHOOK_POINTS: "13",
      RATE_LIMIT_WEBHOOK_WINDOW_SECONDS: "14",
      SESSION_TTL_SECONDS: "3600",
      SESSION_CACHE_SECONDS: "0",
      COMMITMENT_VIEW_CACHE_SECONDS: "0",
      NONCE_TTL_SECONDS: "60",
      LOG_LEVEL: "warn",
    });
    expect(config.port).to.equal(9000);
    expect(config.host).to.equal("0.0.0.0");
    expect(config.webOrigin).to.equal("https://app.example.com");
    expect(config.agentPublicUrl).to.equal("https://api.other.org");
    expect(config.siwe).to.deep.equal({
      domain: "app.example.com",
      uri: "https://app.example.com/login",
    });
    expect(config.chainId).to.equal(8453);
    expect(config.rpcUrl).to.equal("wss://rpc.example.com/v2/secretkey");
    expect(config.databaseUrl).to.equal("postgres://agent:pw@db:5432/agent");
    expect(config.dataDir).to.equal("/var/lib/agent");
    expect(config.pgliteThread).to.equal(false);
    expect(config.redisUrl).to.equal("rediss://:pw@cache:6380/1");
    expect(config.redisKeyPrefix).to.equal("prod:");
    expect(config.oraclePrivateKey?.reveal()).to.equal(KEY);
    expect(config.trustProxy).to.equal(2);
    expect(config.http).to.deep.equal({
      bodyLimitBytes: 2048,
      uploadLimitBytes: 4096,
      requestTimeoutMs: 5000,
      healthCheckTimeoutMs: 300,
    });
    expect(config.rateLimits).to.deep.equal({
      api: { points: 7, windowSeconds: 8 },
      agent: { points: 9, windowSeconds: 10 },
      upload: { points: 11, windowSeconds: 12 },
      webhook: { points: 13, windowSeconds: 14 },
    });
    // api.other.org is another site than app.example.com: Lax.
    expect(config.session).to.deep.equal({
      ttlMs: 3_600_000,
      nonceTtlMs: 60_000,
      sameSite: "lax",
      cookieName: "ra_session",
      cacheMs: 0,
    });
    expect(config.logLevel).to.equal("warn");
    expect(config.commitmentViewCacheMs).to.equal(0);
  });

  it("derives SameSite from the two origins unless SESSION_SAME_SITE says otherwise", () => {
    const sub = {
      PUBLIC_ORIGIN: "https://app.example.com",
      AGENT_PUBLIC_URL: "https://api.app.example.com",
    };
    expect(loadConfig(sub).session.sameSite).to.equal("strict");
    expect(loadConfig({ ...sub, SESSION_SAME_SITE: "lax" }).session.sameSite).to.equal("lax");
    expect(
      loadConfig({
        PUBLIC_ORIGIN: "https://a.example.com",
        AGENT_PUBLIC_URL: "http://a.example.com",
      }).session.sameSite,
    ).to.equal("lax");
  });

  it("derives the agent URL from an IPv6 host", () => {
    expect(loadConfig({ HOST: "::1", PORT: "8080" }).agentPublicUrl).to.equal("http://[::1]:8080");
  });

  it("treats empty variables as unset", () => {
    const config = loadConfig({
      REDIS_URL: "",
      PORT: "",
      ORACLE_PRIVATE_KEY: "",
    });
    expect(config.redisUrl).to.equal(undefined);
    expect(config.port).to.equal(8787);
    expect(config.oraclePrivateKey).to.equal(undefined);
  });

  it("returns a deeply frozen object", () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).to.equal(true);
    expect(Object.isFrozen(config.rateLimits.api)).to.equal(true);
    expect(Object.isFrozen(config.session)).to.equal(true);
  });

  const BAD: [string, string, string][] = [
    ["PORT", "0", "PORT: must be a whole number from 1 to 65535"],
    ["PORT", "80a", "PORT: must be a whole number from 1 to 65535"],
    ["PORT", "65536", "PORT: must be a whole number from 1 to 65535"],
    ["HOST", "local host", "HOST: must be a host name or IP address to listen on"],
    [
      "PUBLIC_ORIGIN",
      "ftp://x.org",
      "PUBLIC_ORIGIN: must be an http(s) origin without a path, e.g. https://app.example.com",
    ],
    [
      "PUBLIC_ORIGIN",
      "https://x.org/app",
      "PUBLIC_ORIGIN: must be an http(s) origin without a path, e.g. https://app.example.com",
    ],
    ["AGENT_PUBLIC_URL", "api.example.com", "AGENT_PUBLIC_URL: must be an http(s) URL"],
    [
      "SIWE_DOMAIN",
      "https://app.example.com",
      "SIWE_DOMAIN: must be an RFC 3986 authority (host[:port]), e.g. app.example.com",
    ],
    ["SIWE_URI", "not a uri", "SIWE_URI: must be an absolute URI, e.g. https://app.example.com"],
    ["CHAIN_ID", "-1", "CHAIN_ID: must be a positive whole number (EIP-155 chain id)"],
    ["CHAIN_ID", "0x7a69", "CHAIN_ID: must be a positive whole number (EIP-155 chain id)"],
    ["RPC_URL", "ftp://node:8545", "RPC_URL: must be an http(s) or ws(s) URL"],
    ["DATABASE_URL", "mysql://u:secretpw@h/db", "DATABASE_URL: must be a postgres:// or postgresql:// URL"],
    ["REDIS_URL", "http://u:secretpw@h:6379", "REDIS_URL: must be a redis:// or rediss:// URL"],
    ["REDIS_KEY_PREFIX", "a b", "REDIS_KEY_PREFIX: must be 1-64 characters from A-Z a-z 0-9 : _ -"],
    ["ORACLE_PRIVATE_KEY", "0x1234", "ORACLE_PRIVATE_KEY: must be a 0x-prefixed 32-byte hex private key"],
    ["ORACLE_PRIVATE_KEY", KEY.slice(2), "ORACLE_PRIVATE_KEY: must be a 0x-prefixed 32-byte hex private key"],
    ["ORACLE_PRIVATE_KEY", `0x${"0".repeat(64)}`, "ORACLE_PRIVATE_KEY: is not a valid secp256k1 private key"],
    ["ORACLE_PRIVATE_KEY", `0x${"f".repeat(64)}`, "ORACLE_PRIVATE_KEY: is not a valid secp256k1 private key"],
    [
      "TRUST_PROXY",
      "true",
      "TRUST_PROXY: must be a whole number of proxy hops from 0 to 32 (not true/false)",
    ],
    ["TRUST_PROXY", "-1", "TRUST_PROXY: must be a whole number of proxy hops from 0 to 32 (not true/false)"],
    ["BODY_LIMIT_BYTES", "1mb", "BODY_LIMIT_BYTES: must be a whole number from 1 to 10485760"],
    ["UPLOAD_LIMIT_BYTES", "0", "UPLOAD_LIMIT_BYTES: must be a whole number from 1 to 209715200"],
    ["REQUEST_TIMEOUT_MS", "99", "REQUEST_TIMEOUT_MS: must be a whole number from 100 to 120000"],
    ["HEALTH_CHECK_TIMEOUT_MS", "30001", "HEALTH_CHECK_TIMEOUT_MS: must be a whole number from 50 to 30000"],
    ["RATE_LIMIT_API_POINTS", "0", "RATE_LIMIT_API_POINTS: must be a whole number from 1 to 1000000"],
    [
      "RATE_LIMIT_API_WINDOW_SECONDS",
      "1.5",
      "RATE_LIMIT_API_WINDOW_SECONDS: must be a whole number from 1 to 86400",
    ],
    ["RATE_LIMIT_AGENT_POINTS", "x", "RATE_LIMIT_AGENT_POINTS: must be a whole number from 1 to 1000000"],
    [
      "RATE_LIMIT_AGENT_WINDOW_SECONDS",
      "86401",
      "RATE_LIMIT_AGENT_WINDOW_SECONDS: must be a whole number from 1 to 86400",
    ],
    ["RATE_LIMIT_UPLOAD_POINTS", " 5", "RATE_LIMIT_UPLOAD_POINTS: must be a whole number from 1 to 1000000"],
    [
      "RATE_LIMIT_UPLOAD_WINDOW_SECONDS",
      "0",
      "RATE_LIMIT_UPLOAD_WINDOW_SECONDS: must be a whole number from 1 to 86400",
    ],
    ["SESSION_TTL_SECONDS", "59", "SESSION_TTL_SECONDS: must be a whole number from 60 to 2592000"],
    ["SESSION_CACHE_SECONDS", "61", "SESSION_CACHE_SECONDS: must be a whole number from 0 to 60"],
    [
      "COMMITMENT_VIEW_CACHE_SECONDS",
      "-1",
      "COMMITMENT_VIEW_CACHE_SECONDS: must be a whole number from 0 to 60",
    ],
    ["NONCE_TTL_SECONDS", "3601", "NONCE_TTL_SECONDS: must be a whole number from 30 to 3600"],
    ["SESSION_SAME_SITE", "none", "SESSION_SAME_SITE: must be lax or strict"],
    ["PGLITE_THREAD", "on", "PGLITE_THREAD: must be true or false"],
    ["LOG_LEVEL", "verbose", "LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent"],
  ];
  for (const [variable, value, message] of BAD) {
    it(`rejects ${variable}=${JSON.stringify(value.length > 12 ? `${value.slice(0, 8)}…` : value)} with one line naming it`, () => {
      const error = errorOf({ [variable]: value });
      expect(error.message).to.equal(message);
      expect(error.code).to.equal("invalid_config");
      expect(error.details).to.deep.equal({ variable });
      expect(error.message).not.to.include("\n");
      if (value.length > 4) expect(error.message).not.to.include(value);
    });
  }

  describe("coach and providers", () => {
    const USDC = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

    it("switches the coach to an OpenAI-compatible model and reads channels, calendar limits and tokens", () => {
      const config = loadConfig({
        COACH_PROVIDER: "openai-compatible",
        OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
        OPENAI_MODEL: "llama3.1:8b",
        OPENAI_API_KEY: "sk-coach-secret",
        COACH_MAX_ITERATIONS: "3",
        COACH_SCHEDULE: "0 * * * *",
        SMTP_URL: "smtp://mailer:pw@127.0.0.1:2525",
        NUDGE_WEBHOOK_SECRET: "0123456789abcdef-secret",
        CALENDAR_ALLOW_HTTP: "true",
        CALENDAR_MAX_BYTES: "2048",
        COACH_TOKENS: `${USDC.toLowerCase()}:USDC:6`,
      });
      expect(config.coach.provider).to.equal("openai-compatible");
      expect(config.coach.openai).to.deep.equal({
        baseURL: "http://127.0.0.1:11434/v1",
        apiKey: "sk-coach-secret",
        model: "llama3.1:8b",
        timeoutMs: 30000,
      });
      expect(config.coach.maxIterations).to.equal(3);
      expect(config.coach.schedule).to.equal("0 * * * *");
      expect(config.coach.smtpUrl).to.equal("smtp://mailer:pw@127.0.0.1:2525");
      expect(config.coach.webhookSecret).to.equal("0123456789abcdef-secret");
      expect(config.coach.outbound.allowHttp).to.equal(true);
      expect(config.coach.calendarMaxBytes).to.equal(2048);
      expect(config.coach.tokens).to.deep.equal({
        [USDC.toLowerCase()]: { symbol: "USDC", decimals: 6 },
      });
      const audit = JSON.stringify(redactedConfig(config));
      for (const secret of ["sk-coach-secret", "0123456789abcdef-secret", "mailer:pw"]) {
        expect(audit).not.to.include(secret);
      }
    });

    it("refuses an incomplete or malformed coach configuration", () => {
      expectConfigError(
        { COACH_PROVIDER: "openai-compatible", OPENAI_MODEL: "m" },
        "OPENAI_BASE_URL",
        "is required when COACH_PROVIDER=openai-compatible",
      );
      expectConfigError({ COACH_PROVIDER: "gpt" }, "COACH_PROVIDER", "must be rules or openai-compatible");
      expectConfigError(
        { COACH_SCHEDULE: "every minute" },
        "COACH_SCHEDULE",
        'must be a cron pattern, e.g. "*/15 * * * *"',
      );
      expectConfigError({ SMTP_URL: "http://mail" }, "SMTP_URL", "must be an smtp:// or smtps:// URL");
      expectConfigError(
        { NUDGE_WEBHOOK_SECRET: "short" },
        "NUDGE_WEBHOOK_SECRET",
        "must be at least 16 characters",
      );
      expect(errorOf({ COACH_TOKENS: "USDC:6" }).details).to.deep.equal({
        variable: "COACH_TOKENS",
      });
    });

    it("turns Strava on with its client id, requires its secrets and derives the redirect URLs", () => {
      expect(loadConfig({}).strava).to.equal(undefined);
      expectConfigError(
        { STRAVA_CLIENT_ID: "42" },
        "STRAVA_CLIENT_SECRET",
        "is required when STRAVA_CLIENT_ID is set",
      );
      expectConfigError(
        { STRAVA_CLIENT_ID: "42", STRAVA_CLIENT_SECRET: "s" },
        "STRAVA_WEBHOOK_VERIFY_TOKEN",
        "is required when STRAVA_CLIENT_ID is set",
      );
      expectConfigError(
        { STRAVA_TOKEN_KEY: "not-a-key" },
        "STRAVA_TOKEN_KEY",
        "must be a 32-byte key as 64 hex characters or base64",
      );
      const config = loadConfig({
        STRAVA_CLIENT_ID: "42",
        STRAVA_CLIENT_SECRET: "strava-client-secret",
        STRAVA_WEBHOOK_VERIFY_TOKEN: "verify-me-please",
        STRAVA_TOKEN_KEY: "ab".repeat(32),
        AGENT_PUBLIC_URL: "https://agent.example.com",
        PUBLIC_ORIGIN: "https://app.example.com",
      });
      expect(config.strava?.settings.redirectUri).to.equal(
        "https://agent.example.com/api/providers/strava/callback",
      );
      expect(config.strava?.settings.webRedirectUrl).to.equal("https://app.example.com/");
      expect(config.strava?.reconcileIntervalMs).to.equal(900000);
      const audit = JSON.stringify(redactedConfig(config));
      for (const secret of ["strava-client-secret", "verify-me-please", "ab".repeat(32)]) {
        expect(audit).not.to.include(secret);
      }
    });
  });

  it("names the first wrong variable when several are wrong", () => {
    expect(errorOf({ LOG_LEVEL: "x", PORT: "x" }).message).to.equal(
      "PORT: must be a whole number from 1 to 65535",
    );
  });
});

describe("redactedConfig", () => {
  it("keeps secrets out of the startup audit line", () => {
    const config = loadConfig({
      ORACLE_PRIVATE_KEY: KEY,
      DATABASE_URL: "postgres://agent:dbsecret@db:5432/agent?sslmode=require",
      REDIS_URL: "redis://default:redissecret@cache:6379/0",
      RPC_URL: "https://eth-mainnet.example.com/v2/rpcsecret?key=q",
    });
    const redacted = redactedConfig(config);
    const text = JSON.stringify(redacted);
    for (const secret of [KEY, KEY.slice(2), "dbsecret", "redissecret", "rpcsecret"]) {
      expect(text).not.to.include(secret);
    }
    expect(redacted.oraclePrivateKey).to.equal("set");
    expect(redacted.databaseUrl).to.equal("postgres://***@db:5432/agent?***");
    expect(redacted.redisUrl).to.equal("redis://***@cache:6379/0");
    expect(redacted.rpcUrl).to.equal("https://eth-mainnet.example.com/***?***");
    expect(redactedConfig(loadConfig({})).oraclePrivateKey).to.equal("unset");
  });

  it("never prints the private key, whichever way the config is printed", () => {
    const config = loadConfig({ ORACLE_PRIVATE_KEY: KEY });
    expect(config.oraclePrivateKey).to.be.instanceOf(Secret);
    expect(JSON.stringify(config)).not.to.include(KEY.slice(2));
    expect(inspect(config, { depth: 10 })).not.to.include(KEY.slice(2));
    expect(String(config.oraclePrivateKey)).to.equal("[redacted]");
  });
});

describe("telemetry configuration", () => {
  const DSN = "http://public-key@127.0.0.1:9/42";

  it("turns tracing and error reporting on only when their variables are set, never printing the DSN", () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      SENTRY_DSN: DSN,
      SENTRY_ENVIRONMENT: "staging",
      RELEASE: "abc1234",
    });
    expect(config.telemetry.otlpEndpoint).to.equal("http://127.0.0.1:4318");
    expect(config.telemetry.sentryDsn?.reveal()).to.equal(DSN);
    expect(config.telemetry.release).to.equal("abc1234");
    expect(JSON.stringify(config)).not.to.include("public-key");
    expect(redactedConfig(config).telemetry).to.deep.equal({
      tracing: "otlp",
      serviceName: "resolution-autopilot-agent",
      sentry: "on",
      environment: "staging",
      release: "abc1234",
    });
  });

  it("keeps tracing off with OTEL_SDK_DISABLED=true even with an endpoint", () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      OTEL_SDK_DISABLED: "true",
    });
    expect(config.telemetry.otlpEndpoint).to.equal(undefined);
  });

  it("rejects an endpoint or DSN that is not one, without echoing it", () => {
    expectConfigError(
      { OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317" },
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "must be an http(s) URL, e.g. http://127.0.0.1:4318",
    );
    expectConfigError(
      { SENTRY_DSN: "https://sentry.example.com/" },
      "SENTRY_DSN",
      "must be a Sentry DSN, e.g. https://key@o0.ingest.sentry.io/123",
    );
  });
});
