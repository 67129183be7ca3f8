/**
 * The provider integrations' sink in the running agent: every activity a provider delivers goes through the
 * same ingestion as an upload (verify, store with its verdict, count for milestones). An activity the athlete
 * typed in on the provider (`manual`) is ingested as a manual log, so it counts only where the rules accept
 * manual logs; everything else is device evidence (`source: "provider"`).
 */
import type { ProviderActivity, ProviderActivitySink } from "../providers/providerActivitySink.ts";
import { type IngestContext, ingestActivities } from "./ingestActivities.ts";

export function providerIngestSink(context: IngestContext): ProviderActivitySink {
  return {
    accept: async ({ owner, provider, providerActivityId, activity, manual }: ProviderActivity) => {
      const common = { owner, provider, providerActivityId };
      if (manual) {
        await ingestActivities(context, {
          ...common,
          source: "manual",
          activities: [
            {
              contentHash: activity.contentHash,
              sport: activity.sport,
              startTime: activity.startTime,
              durationSec: activity.durationSec,
              elapsedSec: activity.elapsedSec,
              ...(activity.distanceM === undefined ? {} : { distanceM: activity.distanceM }),
              ...(activity.avgHeartRate === undefined ? {} : { avgHeartRate: activity.avgHeartRate }),
            },
          ],
        });
        return;
      }
      await ingestActivities(context, { ...common, source: "provider", activities: [activity] });
    },
  };
}
