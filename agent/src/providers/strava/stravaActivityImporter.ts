/**
 * Fetches one activity of a linked athlete from Strava (with the account's stored tokens, never with anything
 * a webhook said), its streams when it was recorded by a device, converts it to evidence and hands it to the
 * sink. Strava's `manual: true` activities (typed in by the athlete) carry no streams and go to the sink with
 * `manual: true`, to be ingested as manual logs. An activity that does not belong to the account's athlete is
 * refused.
 */
import { DependencyError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { ProviderAccountRecord } from "../../store/providerAccountsRepository.ts";
import type { ProviderActivity, ProviderActivitySink } from "../providerActivitySink.ts";
import { stravaActivityEvidence } from "./stravaActivityEvidence.ts";
import type { StravaClient } from "./stravaClient.ts";
import type { StravaActivity } from "./stravaSchemas.ts";
import { STRAVA_PROVIDER, type StravaTokens } from "./stravaTokens.ts";

export interface StravaActivityImporterParameters {
  client: StravaClient;
  tokens: StravaTokens;
  sink: ProviderActivitySink;
  logger: Logger;
  /** Fetch streams for device activities (the samples the plausibility checks need). Default true. */
  fetchStreams?: boolean;
}

export interface StravaActivityImporter {
  /** Fetches activity `activityId` of `account` and delivers it; returns what was delivered. */
  importActivity(account: ProviderAccountRecord, activityId: string): Promise<ProviderActivity>;
  /** Delivers an activity already fetched (e.g. listed by reconciliation), fetching only its streams. */
  deliver(account: ProviderAccountRecord, activity: StravaActivity): Promise<ProviderActivity>;
}

export function createStravaActivityImporter({
  client,
  tokens,
  sink,
  logger,
  fetchStreams = true,
}: StravaActivityImporterParameters): StravaActivityImporter {
  const deliver = async (account: ProviderAccountRecord, activity: StravaActivity) => {
    const activityId = String(activity.id);
    if (String(activity.athlete.id) !== account.athleteId) {
      throw new DependencyError({
        code: "provider_activity_mismatch",
        message: "Strava returned an activity of another athlete.",
        details: { provider: STRAVA_PROVIDER, athleteId: account.athleteId, activityId },
      });
    }
    const streams =
      fetchStreams && !activity.manual
        ? await tokens.withAccessToken(account, (token) => client.getActivityStreams(token, activityId))
        : null;
    const delivered: ProviderActivity = {
      owner: account.owner,
      provider: STRAVA_PROVIDER,
      providerActivityId: activityId,
      activity: stravaActivityEvidence({ activity, streams }),
      manual: activity.manual,
    };
    await sink.accept(delivered);
    logger.info(
      {
        provider: STRAVA_PROVIDER,
        athleteId: account.athleteId,
        activityId,
        manual: activity.manual,
        samples: delivered.activity.samples.timedPoints,
      },
      "provider activity delivered",
    );
    return delivered;
  };

  return {
    deliver,
    importActivity: async (account, activityId) => {
      const activity = await tokens.withAccessToken(account, (token) =>
        client.getActivity(token, activityId),
      );
      return deliver(account, activity);
    },
  };
}
