/**
 * A Strava activity (+ its streams, when fetched) → the agent's evidence shape (`ProviderParsedActivity`), so
 * the same plausibility checks run as for uploaded files:
 * - sport from `sport_type` / `type` (stravaSport.ts); `start_date` → startTime; `elapsed_time` → elapsedSec;
 *   `moving_time` → durationSec, corroborated by the samples exactly like a file's timer total
 *   (`resolveActivityTimes`: a summary claiming more moving time than the samples cover gets the samples' time);
 * - distance, average and max heart rate from the summary, else from the samples;
 * - samples: the streams (time offsets, latlng, distance, altitude, velocity, heart rate, cadence, watts) fed
 *   into the same bounded SampleSummaryBuilder the parsers use. Without streams (a manual activity, streams not
 *   available) the summary is empty: the verifier then finds no device evidence.
 * Content hash: keccak256 of the JSON array [provider, athlete id, activity id, start ms, moving time], so a
 * re-delivery of the same activity (webhook retry, update event, reconciliation) is recognised as a duplicate.
 */
import { type Hex, keccak256, stringToBytes } from "viem";
import { DependencyError } from "../../errors.ts";
import { resolveActivityTimes } from "../../workouts/assembleActivity.ts";
import { SampleSummaryBuilder } from "../../workouts/sampleSummary.ts";
import { type ProviderParsedActivity, providerParsedActivitySchema } from "../providerActivitySink.ts";
import type { StravaActivity, StravaStreams } from "./stravaSchemas.ts";
import { mapStravaSport } from "./stravaSport.ts";

export interface StravaActivityEvidenceParameters {
  activity: StravaActivity;
  /** null when not fetched or not available. */
  streams: StravaStreams | null;
}
export type StravaActivityEvidenceReturnType = ProviderParsedActivity;

export interface StravaContentHashParameters {
  athleteId: string;
  activityId: string;
  /** ms since the epoch. */
  startTime: number;
  movingTimeSec: number;
}

export function stravaContentHash({
  athleteId,
  activityId,
  startTime,
  movingTimeSec,
}: StravaContentHashParameters): Hex {
  return keccak256(
    stringToBytes(JSON.stringify(["strava", athleteId, activityId, startTime, movingTimeSec])),
  );
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function stravaActivityEvidence({
  activity,
  streams,
}: StravaActivityEvidenceParameters): StravaActivityEvidenceReturnType {
  const startTime = Date.parse(activity.start_date);
  const builder = new SampleSummaryBuilder();
  const time = streams?.time?.data;
  if (time !== undefined) {
    const latlng = streams?.latlng?.data;
    const distance = streams?.distance?.data;
    const altitude = streams?.altitude?.data;
    const velocity = streams?.velocity_smooth?.data;
    const heartRate = streams?.heartrate?.data;
    const cadence = streams?.cadence?.data;
    const watts = streams?.watts?.data;
    for (let i = 0; i < time.length; i += 1) {
      const offset = time[i] as number;
      const fix = latlng?.[i];
      builder.add({
        time: startTime + offset * 1000,
        lat: fix?.[0],
        lon: fix?.[1],
        altitudeM: altitude?.[i],
        distanceM: distance?.[i],
        speedMps: velocity?.[i],
        heartRate: heartRate?.[i],
        cadence: cadence?.[i],
        powerW: watts?.[i],
      });
    }
  }
  const samples = builder.finish();
  const times = resolveActivityTimes(samples, {
    startTime,
    elapsedSec: activity.elapsed_time,
    timerSec: activity.moving_time,
  }) ?? { startTime, elapsedSec: activity.elapsed_time, durationSec: activity.moving_time };
  const athleteId = String(activity.athlete.id);
  const activityId = String(activity.id);
  const distanceM = positive(activity.distance) ?? positive(samples.pathM);
  const label = activity.sport_type ?? activity.type;
  const parsed = providerParsedActivitySchema.safeParse({
    source: "provider",
    index: 0,
    sport: mapStravaSport({ sportType: activity.sport_type, type: activity.type }),
    deviceSport: label === undefined ? undefined : `strava/${label}`.slice(0, 100),
    startTime: times.startTime,
    durationSec: times.durationSec,
    elapsedSec: times.elapsedSec,
    distanceM: distanceM !== undefined ? round3(distanceM) : undefined,
    avgHeartRate:
      positive(activity.average_heartrate) ??
      (samples.heartRateMean !== undefined ? Math.round(samples.heartRateMean) : undefined),
    maxHeartRate: positive(activity.max_heartrate) ?? samples.heartRateMax,
    samples,
    problems: [],
    contentHash: stravaContentHash({
      athleteId,
      activityId,
      startTime,
      movingTimeSec: activity.moving_time,
    }),
  });
  if (!parsed.success) {
    throw new DependencyError({
      code: "provider_malformed_response",
      message: "The provider's activity cannot be turned into workout evidence.",
      details: {
        provider: "strava",
        activityId,
        issues: parsed.error.issues
          .slice(0, 5)
          .map((issue) => ({ path: issue.path.join("."), message: issue.message })),
      },
    });
  }
  return parsed.data;
}
