/**
 * Mounted at `/health`. `GET /health`: liveness, always 200 `{ status: "ok" }` while the process serves requests.
 * `GET /health?deep=1`: readiness; runs every injected check (database, Redis, RPC, signer...) in parallel,
 * each bounded by a timeout, and answers 200 when all pass or 503 with each check's result. Concurrent deep
 * probes share one run, so hammering the endpoint does not multiply the load on dependencies. With `deep: false`
 * (the public listener) only liveness is served: `?deep=1` answers 404, the report lives on the internal
 * listener (internalApp.ts).
 */
import { Router } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { AgentError, NotFoundError } from "../errors.ts";
import { parseQuery } from "./parseRequest.ts";

/** A dependency probe: resolves when healthy, throws (ideally an AgentError with a short message) when not. */
export type HealthCheck = (signal: AbortSignal) => Promise<void>;

export type HealthCheckResult = { status: "ok" } | { status: "error"; error: string };

export interface HealthReport {
  status: "ok" | "unavailable";
  checks: Record<string, HealthCheckResult>;
  /** Informational (database pool, recent latencies against targets; `healthDetails.ts`); never fails the probe. */
  [detail: string]: unknown;
}

class HealthCheckTimeout extends Error {}

async function runOne(
  name: string,
  check: HealthCheck,
  timeoutMs: number,
  logger: Logger,
): Promise<HealthCheckResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new HealthCheckTimeout(`timed out after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    await Promise.race([check(controller.signal), timeout]);
    return { status: "ok" };
  } catch (error) {
    logger.warn({ err: error, check: name }, "health check failed");
    if (error instanceof HealthCheckTimeout || error instanceof AgentError) {
      return { status: "error", error: error.message };
    }
    return { status: "error", error: "check failed" };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs all checks in parallel, each within `timeoutMs`. */
export async function runHealthChecks(
  checks: Readonly<Record<string, HealthCheck>>,
  timeoutMs: number,
  logger: Logger,
): Promise<HealthReport> {
  const names = Object.keys(checks).sort();
  const results = await Promise.all(
    names.map((name) => runOne(name, checks[name] as HealthCheck, timeoutMs, logger)),
  );
  const report: HealthReport = { status: "ok", checks: {} };
  names.forEach((name, i) => {
    const result = results[i] as HealthCheckResult;
    report.checks[name] = result;
    if (result.status !== "ok") report.status = "unavailable";
  });
  return report;
}

export const healthQuery = z.object({ deep: z.enum(["0", "1", "false", "true"]).optional() });

export interface HealthRouterParameters {
  checks: Readonly<Record<string, HealthCheck>>;
  timeoutMs: number;
  logger: Logger;
  /** Added to the deep report (`healthDetails`). */
  details?: () => Record<string, unknown>;
  /** Serve `?deep=1` (default true); false on the public listener. */
  deep?: boolean;
}

export function healthRouter({
  checks,
  timeoutMs,
  logger,
  details,
  deep: deepAllowed = true,
}: HealthRouterParameters): Router {
  const router = Router();
  let inFlight: Promise<HealthReport> | null = null;
  router.get("/", async (req, res) => {
    const { deep } = parseQuery(req, healthQuery);
    res.setHeader("Cache-Control", "no-store");
    if (deep !== "1" && deep !== "true") {
      res.json({ status: "ok" });
      return;
    }
    if (!deepAllowed) {
      throw new NotFoundError({
        code: "not_found",
        message: "The deep health report is served on the agent's internal listener, not here.",
        details: { field: "query.deep" },
      });
    }
    if (inFlight === null) {
      inFlight = runHealthChecks(checks, timeoutMs, logger).finally(() => {
        inFlight = null;
      });
    }
    const report = await inFlight;
    res
      .status(report.status === "ok" ? 200 : 503)
      .json(details === undefined ? report : { ...report, ...details() });
  });
  return router;
}

/** What an app's `/health` is built from: its checks and details, the logger, the timeout in the HTTP config. */
export interface AppHealthDependencies {
  config: { http: { healthCheckTimeoutMs: number } };
  logger: Logger;
  health: { checks: Readonly<Record<string, HealthCheck>>; details?: () => Record<string, unknown> };
}

/** An app's `/health`: liveness, and the deep report too where `deep` (the internal listener). */
export function appHealthRouter(deps: AppHealthDependencies, deep: boolean): Router {
  return healthRouter({
    checks: deps.health.checks,
    timeoutMs: deps.config.http.healthCheckTimeoutMs,
    logger: deps.logger,
    ...(deps.health.details === undefined ? {} : { details: deps.health.details }),
    deep,
  });
}
