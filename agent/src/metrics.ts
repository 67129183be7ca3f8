/**
 * The agent's Prometheus metrics, in a registry the app owns (not prom-client's global one, so tests and
 * several apps in one process never collide). Other modules receive `Metrics` and increment its counters.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { LatencyWindow } from "./telemetry/latencyWindow.ts";

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
  /** 1 while a rate limiter runs on its in-memory fallback because its shared store (Redis) is unreachable. */
  limiterDegraded: Gauge<"store">;
  /** Seconds a coach turn took to answer (all its model and tool calls), by outcome (`ok`, `error`). */
  coachAnswerDuration: Histogram<"outcome">;
  /** Seconds one model call took, by provider and outcome. */
  coachModelDuration: Histogram<"provider" | "outcome">;
  /** Model tokens used, by provider and direction (`input`, `output`). */
  coachModelTokens: Counter<"provider" | "direction">;
  /** Open milestones past their slash deadline (the keeper's backlog), and the oldest one's lateness in seconds. */
  milestonesOverdueUnslashed: Gauge<string>;
  milestonesOverdueUnslashedOldestSeconds: Gauge<string>;
  /** Open milestones this oracle attested whose window has ended, and the oldest one's seconds past its end. */
  milestonesAttestedUnclaimed: Gauge<string>;
  milestonesAttestedUnclaimedOldestSeconds: Gauge<string>;
  /** Balance of an account the agent pays gas from (`operator`: the keeper's and relayer's), in ether. */
  accountBalance: Gauge<"account">;
  /** Blocks between the chain head and the last block the indexer processed. */
  indexerLagBlocks: Gauge<string>;
  /** 1 when the oracle signer signed the sampler's probe, 0 when it could not. */
  signerUp: Gauge<string>;
  /** Unix time of the last completed operations sample (`opsSampler.ts`). */
  opsSampleTimestamp: Gauge<string>;
  /** Recent latencies for `GET /health?deep=1` (API answers, coach answers, model calls). */
  recent: { api: LatencyWindow; answer: LatencyWindow; model: LatencyWindow };
}

export interface CreateMetricsParameters {
  /** Also collect Node.js process metrics (event loop, memory, GC). Default true. */
  defaultMetrics?: boolean;
  /** Milliseconds since the epoch, for the recent-latency windows. Default `Date.now`. */
  now?: () => number;
}

export type CreateMetricsReturnType = Metrics;

export function createMetrics({
  defaultMetrics = true,
  now = Date.now,
}: CreateMetricsParameters = {}): CreateMetricsReturnType {
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
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
    limiterDegraded: gauge(
      "agent_rate_limiter_degraded",
      "1 while rate limits run from memory because their shared store is unreachable.",
      ["store"],
    ),
    coachAnswerDuration: new Histogram({
      name: "agent_coach_answer_duration_seconds",
      help: "Seconds a coach turn took to answer, model and tool calls included, by outcome.",
      labelNames: ["outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
      registers: [registry],
    }),
    coachModelDuration: new Histogram({
      name: "agent_coach_model_duration_seconds",
      help: "Seconds one coach model call took, by provider and outcome.",
      labelNames: ["provider", "outcome"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
      registers: [registry],
    }),
    coachModelTokens: new Counter({
      name: "agent_coach_model_tokens_total",
      help: "Tokens the coach's model used, by provider and direction.",
      labelNames: ["provider", "direction"],
      registers: [registry],
    }),
    milestonesOverdueUnslashed: gauge(
      "agent_milestones_overdue_unslashed",
      "Open milestones past their slash deadline (grace included) that the keeper has not slashed.",
    ),
    milestonesOverdueUnslashedOldestSeconds: gauge(
      "agent_milestones_overdue_unslashed_oldest_seconds",
      "Seconds the oldest overdue, unslashed milestone is past its slash deadline (0 when none).",
    ),
    milestonesAttestedUnclaimed: gauge(
      "agent_milestones_attested_unclaimed",
      "Open milestones this oracle attested whose window has ended without a claim.",
    ),
    milestonesAttestedUnclaimedOldestSeconds: gauge(
      "agent_milestones_attested_unclaimed_oldest_seconds",
      "Seconds the oldest attested, unclaimed milestone is past the end of its window (0 when none).",
    ),
    accountBalance: gauge(
      "agent_chain_account_balance_eth",
      "Balance in ether of an account the agent pays gas from, by role.",
      ["account"],
    ),
    indexerLagBlocks: gauge(
      "agent_indexer_lag_blocks",
      "Blocks between the chain head and the last block the indexer has processed.",
    ),
    signerUp: gauge("agent_signer_up", "1 when the oracle signer can sign, 0 when it cannot."),
    opsSampleTimestamp: gauge(
      "agent_ops_sample_timestamp_seconds",
      "Unix time of the last completed sample of the chain and store gauges.",
    ),
    recent: {
      api: new LatencyWindow({ now }),
      answer: new LatencyWindow({ now }),
      model: new LatencyWindow({ now }),
    },
  };
}
