/**
 * Where activities fetched from a provider go: the provider integrations fetch and convert, a sink decides
 * what to store. In the agent the sink is the workout ingestion service (verify, store with source `provider`,
 * or `manual` for an activity the athlete typed in, count for milestones); tests use recording sinks.
 *
 * The activity is the same evidence shape the file parsers produce (`ParsedActivity`), with `source:
 * "provider"` and a content hash that is stable across re-deliveries of the same activity.
 */
import type { Address, Hex } from "viem";
import { z } from "zod";
import { parsedActivitySchema } from "../workouts/parsedActivity.ts";

/** The providers the agent can link. */
export const PROVIDERS = ["strava"] as const;
export type Provider = (typeof PROVIDERS)[number];

export const providerParsedActivitySchema = parsedActivitySchema.extend({
  source: z.literal("provider"),
  contentHash: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .transform((value) => value as Hex),
});

/** A provider's activity as evidence: ParsedActivity with `source: "provider"` and its content hash. */
export type ProviderParsedActivity = z.output<typeof providerParsedActivitySchema>;

export interface ProviderActivity {
  /** The wallet the provider account is linked to. */
  owner: Address;
  provider: Provider;
  /** The provider's id of the activity (decimal string for Strava). */
  providerActivityId: string;
  activity: ProviderParsedActivity;
  /**
   * True when the athlete entered the activity by hand on the provider (Strava `manual: true`): it is not
   * device evidence and must be ingested as a manual log (it counts only where the rules accept manual logs).
   */
  manual: boolean;
}

export interface ProviderActivitySink {
  /**
   * Takes one activity. Must be idempotent: the same activity can arrive again (webhook retries, an update
   * event, reconciliation overlap) and then carries the same content hash. Throwing is fine: the integration
   * logs it and reconciliation offers the activity again later.
   */
  accept(activity: ProviderActivity): Promise<void>;
}
