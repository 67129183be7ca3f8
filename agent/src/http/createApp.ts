/**
 * Builds the agent's Express app from its dependencies, without listening (tests drive it with supertest;
 * `main` wires the real dependencies and calls `listen`).
 *
 * Pipeline, every request: metrics timer → request id + request log → request timeout → security headers
 * → the origin guard (CSRF: a state-changing request from another site's page is refused; `Vary: Origin`) → CORS
 * (the web origin only, with credentials). Under /api: the API rate limit per IP (before the body is read)
 * → JSON body (size-limited; not for GET, HEAD, OPTIONS) → `Cache-Control: no-store` → the session lookup → the
 * API limit per signed-in address → the agent and upload limits on their paths → the auth and rules routes, the
 * OpenAPI document and its page (`/api/openapi.json`, `/api/docs`, see openapi/) and
 * the injected routers. Then /health (liveness only: /metrics and /health?deep=1 are on the internal listener,
 * internalApp.ts), 404, problem documents. The middlewares that run on every
 * request are grouped with `inSeries` (one router layer each group; see docs/performance.md, "HTTP API").
 */
import cors from "cors";
import express, { type Express, type RequestHandler, type Router } from "express";
import type { Client } from "viem";
import { authRouter } from "../auth/authRouter.ts";
import { loadSession } from "../auth/session.ts";
import type { NonceStore, SessionStore } from "../auth/stores.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { limitRequests, UPLOAD_PATHS } from "../limits/rateLimitMiddleware.ts";
import type { RateLimits } from "../limits/rateLimits.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { Repositories } from "../store/store.ts";
import { errorHandler, notFound } from "./errorHandler.ts";
import { appHealthRouter, type HealthCheck } from "./healthRouter.ts";
import { inSeries } from "./inSeries.ts";
import { refuseInvalidUtf8 } from "./invalidUtf8.ts";
import { httpMetrics } from "./metricsRoute.ts";
import { openapiHandlers } from "./openapi/openapiHandlers.ts";
import { originGuard } from "./originGuard.ts";
import { REQUEST_ID_HEADER } from "./requestId.ts";
import { requestLogging } from "./requestLogging.ts";
import { requestTimeout } from "./requestTimeout.ts";
import { rulesRouter } from "./rulesRouter.ts";
import { noStore, securityHeaders } from "./securityHeaders.ts";

/** A router mounted at `/api${path}`, behind the API rate limit and the session lookup. */
export interface ApiRoute {
  /** Starts with `/`, relative to /api (e.g. `/workouts`, or `/` for a router that names its own paths). */
  path: string;
  router: Router | RequestHandler;
}

export interface AppDependencies {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  sessions: SessionStore;
  nonces: NonceStore;
  limiter: RateLimits;
  health: {
    checks: Readonly<Record<string, HealthCheck>>;
    /** Added to the deep report: database pool, recent latencies (`healthDetails.ts`). */
    details?: () => Record<string, unknown>;
  };
  /** The configured chain's public client: sign-in verifies smart-wallet signatures through it (EOAs only without). */
  chainClient?: Client;
  /** Where `POST /api/rules` keeps the documents it hashed (they are only hashed without it). */
  store?: Pick<Repositories, "rulesDocuments">;
  routes?: readonly ApiRoute[];
}

/**
 * Server-to-server endpoints with a per-IP limit of their own while their provider is configured
 * (`RATE_LIMIT_WEBHOOK_*`, generous: a provider delivers every user's events from a handful of addresses, so the
 * API's per-IP budget would throttle it, but a flood from any one address is still cut off). With the provider off
 * the path has no route: it gets the API's per-IP limit and its body is never parsed.
 */
const STRAVA_MOUNT = "/providers/strava";
const STRAVA_WEBHOOK = { method: "POST", path: `${STRAVA_MOUNT}/webhook` } as const;

export type CreateAppReturnType = Express;

const BODYLESS_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

export function createApp(deps: AppDependencies): CreateAppReturnType {
  const { config, clock, logger, metrics, sessions, nonces, limiter } = deps;
  const app = express();
  app.set("trust proxy", config.trustProxy);
  app.set("x-powered-by", false);
  app.set("etag", false);

  app.use(
    inSeries([
      httpMetrics(metrics),
      requestLogging(logger),
      requestTimeout(config.http.requestTimeoutMs),
      securityHeaders(),
      originGuard({ allowed: [config.webOrigin] }),
      cors({
        origin: (origin, callback) => callback(null, origin === config.webOrigin),
        credentials: true,
        methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        allowedHeaders: ["Content-Type", REQUEST_ID_HEADER, "Idempotency-Key"],
        exposedHeaders: [REQUEST_ID_HEADER, "Retry-After", "Idempotent-Replayed"],
        maxAge: 600,
      }),
    ]),
  );
  const perIpLimit = limitRequests(limiter.api, { by: "ip" });
  const webhookPerIpLimit = limitRequests(limiter.webhook, { by: "ip" });
  // On when a router serves the provider's paths (assembleAgent mounts it only when Strava is configured).
  const stravaOn = (deps.routes ?? []).some((route) => route.path === STRAVA_MOUNT);
  const isStravaWebhook = (req: { method: string; path: string }) =>
    req.method === STRAVA_WEBHOOK.method && req.path === STRAVA_WEBHOOK.path;
  const parseJson = express.json({
    limit: config.http.bodyLimitBytes,
    strict: true,
    type: ["application/json", "application/*+json"],
    verify: refuseInvalidUtf8,
  });

  // The /api layers sit on the app itself, under /api prefixes, rather than in a nested router: every router a
  // request enters costs a dispatch of its own (docs/performance.md, "HTTP API").
  app.use(
    "/api",
    inSeries([
      // Before the body is read, so malformed or oversized bodies count against the limit too.
      (req, res, next) =>
        // Returned, not voided: the limiter's rejection (429) goes to the error handler.
        stravaOn && isStravaWebhook(req) ? webhookPerIpLimit(req, res, next) : perIpLimit(req, res, next),
      // No route reads the body of a GET, HEAD or OPTIONS request, nor of the webhook of a provider that is off.
      (req, res, next) =>
        BODYLESS_METHODS.has(req.method) || (!stravaOn && isStravaWebhook(req))
          ? next()
          : parseJson(req, res, next),
      noStore,
      loadSession({ config, sessions }),
      limitRequests(limiter.api, { by: "address" }),
    ]),
  );
  app.use("/api/agent", limitRequests(limiter.agent));
  app.post([...UPLOAD_PATHS], limitRequests(limiter.upload));
  // Each router under its own prefix, so a request elsewhere passes it with one prefix test.
  app.use("/api/auth", authRouter({ config, clock, nonces, sessions, chainClient: deps.chainClient }));
  app.use("/api/rules", rulesRouter(deps.store === undefined ? {} : { store: deps.store }));
  const openapi = openapiHandlers();
  app.get("/api/openapi.json", openapi.document);
  app.get("/api/docs", openapi.docsPage);
  for (const route of deps.routes ?? [])
    app.use(route.path === "/" ? "/api" : `/api${route.path}`, route.router);

  app.use("/health", appHealthRouter(deps, false));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
