/**
 * What `GET /health?deep=1` reports beside its checks: the database pool (connections active, idle and waited
 * for, and the most it opens) and the recent p95 of the API's answers, the coach's answers and the model calls,
 * each against its target. They inform; they never fail the probe (latency is the alerts' business, not a
 * load balancer's).
 */
import type { Metrics } from "../metrics.ts";
import type { PoolStats } from "../store/database.ts";
import type { LatencyWindow } from "../telemetry/latencyWindow.ts";

/** p95 targets in seconds (the alert rules in ops/prometheus/alerts.yml use the same ones). */
export const LATENCY_TARGETS_SECONDS = { api: 0.5, answer: 4, model: 2 } as const;

export interface LatencyReport {
  count: number;
  p95Seconds: number | null;
  targetSeconds: number;
  /** null while there is nothing to judge. */
  withinTarget: boolean | null;
}

export type HealthDetails = {
  database?: { driver: string; pool: PoolStats };
  latency: Record<keyof typeof LATENCY_TARGETS_SECONDS, LatencyReport>;
};

export interface HealthDetailsParameters {
  store: { driver: string; poolStats?(): PoolStats };
  metrics: Pick<Metrics, "recent">;
}

function report(window: LatencyWindow, targetSeconds: number): LatencyReport {
  const { count, p95Seconds } = window.summary();
  return {
    count,
    p95Seconds: p95Seconds === null ? null : Math.round(p95Seconds * 1000) / 1000,
    targetSeconds,
    withinTarget: p95Seconds === null ? null : p95Seconds <= targetSeconds,
  };
}

export function healthDetails({ store, metrics }: HealthDetailsParameters): () => HealthDetails {
  return () => ({
    ...(store.poolStats === undefined ? {} : { database: { driver: store.driver, pool: store.poolStats() } }),
    latency: {
      api: report(metrics.recent.api, LATENCY_TARGETS_SECONDS.api),
      answer: report(metrics.recent.answer, LATENCY_TARGETS_SECONDS.answer),
      model: report(metrics.recent.model, LATENCY_TARGETS_SECONDS.model),
    },
  });
}
