/**
 * Builds the app the way `main` will, with test dependencies: a ManualClock, memory stores, memory rate
 * limits (or Redis ones when a client is given), and a logger whose lines the test can read.
 */
import type { Express } from "express";
import type { Redis } from "ioredis";
import type { Client } from "viem";
import { createMemoryNonceStore, createMemorySessionStore } from "../../src/auth/memoryStores.ts";
import type { NonceStore, SessionStore } from "../../src/auth/stores.ts";
import { ManualClock } from "../../src/clock.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { type ApiRoute, createApp } from "../../src/http/createApp.ts";
import { createInternalApp } from "../../src/http/internalApp.ts";
import type { HealthCheck } from "../../src/http/healthRouter.ts";
import { createRateLimits, type RateLimits } from "../../src/limits/rateLimits.ts";
import { createLogger, type Logger } from "../../src/logger.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";

/** 2026-11-23T07:00:00Z, a Monday. */
export const START = Date.UTC(2026, 10, 23, 7, 0, 0);

export type LogLine = Record<string, unknown> & { level: number; msg?: string };

export interface LogCollector {
  lines: LogLine[];
  logger: Logger;
}

export function collectLogs(level: Config["logLevel"] = "debug"): LogCollector {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(chunk: string) {
        lines.push(JSON.parse(chunk) as LogLine);
      },
    },
  });
  return { lines, logger };
}

export interface BuildTestAppParameters {
  env?: Record<string, string>;
  checks?: Record<string, HealthCheck>;
  routes?: ApiRoute[];
  redis?: Redis;
  /** A key prefix for Redis (unique per test run). */
  keyPrefix?: string;
  sessions?: SessionStore;
  nonces?: NonceStore;
  /** A chain client: sign-in then verifies smart-wallet signatures through it. */
  chainClient?: Client;
}

export interface TestApp {
  app: Express;
  /** The internal listener's app: /metrics and /health?deep=1. */
  internalApp: Express;
  config: Config;
  clock: ManualClock;
  logs: LogLine[];
  logger: Logger;
  metrics: Metrics;
  sessions: SessionStore;
  nonces: NonceStore;
  limits: RateLimits;
}

/** Generous limits so only the rate-limit tests hit them. */
export const TEST_ENV: Record<string, string> = {
  RATE_LIMIT_API_POINTS: "10000",
  RATE_LIMIT_AGENT_POINTS: "10000",
  RATE_LIMIT_UPLOAD_POINTS: "10000",
  LOG_LEVEL: "debug",
};

export function buildTestApp(parameters: BuildTestAppParameters = {}): TestApp {
  const config = loadConfig({ ...TEST_ENV, ...parameters.env });
  const clock = new ManualClock(START);
  const { lines, logger } = collectLogs(config.logLevel);
  const metrics = createMetrics({ defaultMetrics: false });
  const sessions = parameters.sessions ?? createMemorySessionStore({ clock });
  const nonces = parameters.nonces ?? createMemoryNonceStore({ clock });
  const limits = createRateLimits({
    rules: config.rateLimits,
    redis: parameters.redis,
    keyPrefix: parameters.keyPrefix ?? config.redisKeyPrefix,
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
    limiter: limits,
    health: { checks: parameters.checks ?? {} },
    routes: parameters.routes,
    ...(parameters.chainClient === undefined ? {} : { chainClient: parameters.chainClient }),
  });
  const internalApp = createInternalApp({
    config,
    logger,
    metrics,
    health: { checks: parameters.checks ?? {} },
  });
  return { app, internalApp, config, clock, logs: lines, logger, metrics, sessions, nonces, limits };
}

export const PROBLEM_JSON = "application/problem+json; charset=utf-8";
export const JSON_TYPE = "application/json; charset=utf-8";

/** The `type` of a problem with this code. */
export function typeOf(code: string): string {
  return `urn:resolution-autopilot:problem:${code}`;
}
