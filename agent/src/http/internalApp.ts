/**
 * The internal listener's app: `GET /metrics` (Prometheus) and `GET /health` with `?deep=1` (every dependency
 * check, the database pool, recent latencies). These tell whoever reads them what is slow, what is down and
 * how the agent is built, so they are not served on the public port: `main` listens with this app on
 * `INTERNAL_HOST:INTERNAL_PORT` (default 127.0.0.1, PORT + 1), where only the machine, or a scraper beside it,
 * reaches them. The public app keeps `GET /health` (liveness) for load balancers.
 *
 * Other operator-only endpoints (pprof-like dumps, tracing exporters' pull endpoints) belong here too.
 */
import express, { type Express } from "express";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { errorHandler, notFound } from "./errorHandler.ts";
import { appHealthRouter, type HealthCheck } from "./healthRouter.ts";
import { metricsHandler } from "./metricsRoute.ts";

export interface InternalAppDependencies {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  health: { checks: Readonly<Record<string, HealthCheck>>; details?: () => Record<string, unknown> };
}

export type CreateInternalAppReturnType = Express;

export function createInternalApp(deps: InternalAppDependencies): CreateInternalAppReturnType {
  const { metrics } = deps;
  const app = express();
  app.set("x-powered-by", false);
  app.set("etag", false);
  app.use("/health", appHealthRouter(deps, true));
  app.get("/metrics", metricsHandler(metrics));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
