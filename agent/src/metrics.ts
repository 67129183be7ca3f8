/**
 * The agent's Prometheus metrics, in a registry the app owns (not prom-client's global one, so tests and
 * several apps in one process never collide). Other modules receive `Metrics` and increment its counters.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  /** Seconds from request to response, by method, matched route (`unmatched` for 404s) and status. */
  httpRequestDuration: Histogram<"method" | "route" | "status">;
  /** Workouts verified, by verdict status (`accepted`/`rejected`) and first reason code (`none` if none). */
  workoutsVerified: Counter<"status" | "reason">;
  /** EIP-712 milestone attestations signed. */
  attestationsIssued: Counter<string>;
  /** Gasless claims relayed, by outcome (`submitted`, `failed`). */
  claimsRelayed: Counter<"outcome">;
  /** Slash transactions sent by the keeper, by outcome (`submitted`, `failed`). */
  slashesSent: Counter<"outcome">;
  /** Times a rate limiter lost its shared store and fell back to memory (once per outage). */
  limiterDegradations: Counter<"store">;
}

export interface CreateMetricsParameters {
  /** Also collect Node.js process metrics (event loop, memory, GC). Default true. */
  defaultMetrics?: boolean;
}

export type CreateMetricsReturnType = Metrics;

export function createMetrics({
  defaultMetrics = true,
}: CreateMetricsParameters = {}): CreateMetricsReturnType {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "agent_" });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: "agent_http_request_duration_seconds",
      help: "HTTP request duration in seconds, by method, route and status.",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    workoutsVerified: new Counter({
      name: "agent_workouts_verified_total",
      help: "Workouts verified, by verdict status and first reason code.",
      labelNames: ["status", "reason"],
      registers: [registry],
    }),
    attestationsIssued: new Counter({
      name: "agent_attestations_issued_total",
      help: "EIP-712 milestone attestations signed.",
      registers: [registry],
    }),
    claimsRelayed: new Counter({
      name: "agent_claims_relayed_total",
      help: "Gasless milestone claims relayed, by outcome.",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    slashesSent: new Counter({
      name: "agent_slashes_sent_total",
      help: "Milestones the keeper slashed (or failed to slash), by outcome.",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    limiterDegradations: new Counter({
      name: "agent_rate_limiter_degradations_total",
      help: "Times a rate limiter lost its shared store and fell back to in-memory limits.",
      labelNames: ["store"],
      registers: [registry],
    }),
  };
}
