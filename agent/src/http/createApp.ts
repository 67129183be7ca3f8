/**
 * Builds the agent's Express app from its dependencies, without listening (tests drive it with supertest;
 * `main` wires the real dependencies and calls `listen`).
 *
 * Pipeline: metrics timer → request id + request log (pino-http) → request timeout → helmet → CORS (the web
 * origin only, with credentials) → API rate limit per IP (on /api, before the body is read) → JSON body
 * (size-limited) → cookies → routes → 404 → problem documents. Under /api: the session lookup, the API
 * limit per signed-in address, the agent and upload limits on their paths, then the auth and rules routes
 * and the injected routers.
 */
import cookieParser from "cookie-parser";
import cors from "cors";
import express, { type Express, type RequestHandler, type Router } from "express";
import helmet from "helmet";
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
import { type HealthCheck, healthRouter } from "./healthRouter.ts";
import { httpMetrics, metricsHandler } from "./metricsRoute.ts";
import { REQUEST_ID_HEADER } from "./requestId.ts";
import { requestLogging } from "./requestLogging.ts";
import { requestTimeout } from "./requestTimeout.ts";
import { rulesRouter } from "./rulesRouter.ts";

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
  health: { checks: Readonly<Record<string, HealthCheck>> };
  /** Where `POST /api/rules` keeps the documents it hashed (they are only hashed without it). */
  store?: Pick<Repositories, "rulesDocuments">;
  routes?: readonly ApiRoute[];
}

/**
 * Server-to-server endpoints exempt from the per-IP API limit: a provider delivers every user's events from a
 * handful of addresses. They stay bounded by their own queue and answer at once.
 */
const PER_IP_LIMIT_EXEMPT: readonly { method: string; path: string }[] = [
  { method: "POST", path: "/providers/strava/webhook" },
];

export type CreateAppReturnType = Express;

export function createApp(deps: AppDependencies): CreateAppReturnType {
  const { config, clock, logger, metrics, sessions, nonces, limiter } = deps;
  const app = express();
  app.set("trust proxy", config.trustProxy);
  app.set("x-powered-by", false);
  app.set("etag", false);

  app.use(httpMetrics(metrics));
  app.use(requestLogging(logger));
  app.use(requestTimeout(config.http.requestTimeoutMs));
  app.use(helmet({ crossOriginResourcePolicy: { policy: "same-site" } }));
  app.use(
    cors({
      origin: (origin, callback) => callback(null, origin === config.webOrigin),
      credentials: true,
      methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
      allowedHeaders: ["Content-Type", REQUEST_ID_HEADER, "Idempotency-Key"],
      exposedHeaders: [REQUEST_ID_HEADER, "Retry-After", "Idempotent-Replayed"],
      maxAge: 600,
    }),
  );
  // Before body parsing, so malformed or oversized bodies count against the limit too.
  const perIpLimit = limitRequests(limiter.api, { by: "ip" });
  app.use("/api", (req, res, next) => {
    const exempt = PER_IP_LIMIT_EXEMPT.some(({ method, path }) => req.method === method && req.path === path);
    // Returned, not voided: Express 5 turns the limiter's rejection (429) into the error handler's answer.
    return exempt ? next() : perIpLimit(req, res, next);
  });
  app.use(
    express.json({
      limit: config.http.bodyLimitBytes,
      strict: true,
      type: ["application/json", "application/*+json"],
    }),
  );
  app.use(cookieParser());

  app.use(healthRouter({ checks: deps.health.checks, timeoutMs: config.http.healthCheckTimeoutMs, logger }));
  app.get("/metrics", metricsHandler(metrics));

  const api = express.Router();
  api.use(loadSession({ config, sessions }));
  api.use(limitRequests(limiter.api, { by: "address" }));
  api.use("/agent", limitRequests(limiter.agent));
  api.post(
    UPLOAD_PATHS.map((path) => path.replace(/^\/api/, "")),
    limitRequests(limiter.upload),
  );
  api.use(authRouter({ config, clock, nonces, sessions }));
  api.use(rulesRouter(deps.store === undefined ? {} : { store: deps.store }));
  for (const route of deps.routes ?? []) api.use(route.path, route.router);
  app.use("/api", api);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
