import { ValidationError } from "../errors.ts";
import { assembleActivity } from "./assembleActivity.ts";
import { parseIsoTime } from "./isoTime.ts";
import type { ParsedActivity } from "./parsedActivity.ts";
import { assertActivitiesWithinLimit, assertPointsWithinLimit, type ParserLimits } from "./parserLimits.ts";
import { type SamplePoint, SampleSummaryBuilder } from "./sampleSummary.ts";
import { mapSport } from "./sport.ts";
import { readXml } from "./xmlReader.ts";

/**
 * TCX (Garmin Training Center Database v2) → one ParsedActivity per <Activity>, whether listed directly under
 * <Activities> or inside a <MultiSportSession> (<FirstSport>/<NextSport>). Courses and workouts are plans and
 * are ignored; multisport <Transition> laps are not activities.
 * - Samples: <Trackpoint> with <Time>, <Position>, <AltitudeMeters>, <DistanceMeters>, <HeartRateBpm><Value>,
 *   <Cadence> (pedal rpm by the schema, a run's steps in Polar's files) and the ActivityExtension <TPX> <Speed>/<Watts>/<RunCadence> (steps of one foot); the
 *   laps' <LX><AvgRunCadence> as a step-cadence hint for the sport inference.
 * - Declared summary: the first <Lap StartTime>, else <Id>; the sum of the laps' <TotalTimeSeconds> and
 *   <DistanceMeters>; lap heart rates (time-weighted average, maximum). See assembleActivity.ts for how they are
 *   weighed against the samples.
 * - Timestamps may carry any UTC offset (Fitbit writes +01:00): they are converted to UTC instants.
 * A file without any <Activity> is `not_a_workout`.
 */
export type ParseTcxParameters = Parameters<typeof parseTcx>;
export type ParseTcxReturnType = ParsedActivity[];

interface ActivityState {
  builder: SampleSummaryBuilder;
  sportLabel?: string;
  idTime?: number;
  firstLapStart?: number;
  timerSec: number;
  laps: number;
  distanceM: number;
  heartRateTimeSum: number;
  heartRateTime: number;
  maxHeartRate?: number;
  lapTimeSec?: number;
  lapAvgHeartRate?: number;
  points: number;
  /** "steps" when the trackpoints carry <RunCadence> (<Cadence> may be either: Polar writes a run's there). */
  cadenceKind?: "steps";
  /** Time-weighted sum of the laps' <LX><AvgRunCadence>, and the lap time it covers. */
  lapStepCadenceSum: number;
  lapStepCadenceTime: number;
  lapStepCadence?: number;
}

function number(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Elements whose text is read, keyed by "parent/name". */
const CAPTURED = new Set([
  "Activity/Id",
  "Lap/TotalTimeSeconds",
  "Lap/DistanceMeters",
  "AverageHeartRateBpm/Value",
  "MaximumHeartRateBpm/Value",
  "Trackpoint/Time",
  "Position/LatitudeDegrees",
  "Position/LongitudeDegrees",
  "Trackpoint/AltitudeMeters",
  "Trackpoint/DistanceMeters",
  "HeartRateBpm/Value",
  "Trackpoint/Cadence",
  "TPX/Speed",
  "TPX/Watts",
  "TPX/RunCadence",
  "LX/AvgRunCadence",
]);

export function parseTcx(text: string, limits: ParserLimits): ParsedActivity[] {
  const path: string[] = [];
  const activities: ActivityState[] = [];
  let activity: ActivityState | undefined;
  let point: SamplePoint | undefined;
  let capture: string | undefined;
  let totalPoints = 0;

  readXml(text, {
    open(name, attributes) {
      const parent = path[path.length - 1];
      path.push(name);
      if (path.length === 1) {
        if (name !== "TrainingCenterDatabase") {
          throw new ValidationError({
            code: "corrupt_file",
            message: "The root element is not <TrainingCenterDatabase>.",
          });
        }
        return;
      }
      if (
        name === "Activity" &&
        (parent === "Activities" || parent === "FirstSport" || parent === "NextSport") &&
        path.includes("Activities")
      ) {
        activity = {
          builder: new SampleSummaryBuilder(),
          sportLabel: attributes.Sport,
          timerSec: 0,
          laps: 0,
          distanceM: 0,
          heartRateTimeSum: 0,
          heartRateTime: 0,
          points: 0,
          lapStepCadenceSum: 0,
          lapStepCadenceTime: 0,
        };
        activities.push(activity);
        assertActivitiesWithinLimit(activities.length, limits);
        return;
      }
      if (activity === undefined) return;
      if (name === "Lap" && parent === "Activity") {
        activity.laps += 1;
        activity.lapTimeSec = undefined;
        activity.lapAvgHeartRate = undefined;
        activity.lapStepCadence = undefined;
        const start = attributes.StartTime !== undefined ? parseIsoTime(attributes.StartTime) : undefined;
        if (activity.firstLapStart === undefined && start !== undefined) activity.firstLapStart = start;
      } else if (name === "Trackpoint" && parent === "Track") {
        point = {};
      } else if (CAPTURED.has(`${parent}/${name}`)) {
        capture = "";
      }
    },
    text(value) {
      if (capture !== undefined) capture += value;
    },
    close(name) {
      path.pop();
      const parent = path[path.length - 1];
      const value = capture;
      capture = undefined;
      if (activity === undefined) return;
      if (name === "Activity") {
        activity = undefined;
        return;
      }
      if (name === "Lap" && parent === "Activity") {
        if (activity.lapAvgHeartRate !== undefined && activity.lapTimeSec !== undefined) {
          activity.heartRateTimeSum += activity.lapAvgHeartRate * activity.lapTimeSec;
          activity.heartRateTime += activity.lapTimeSec;
        }
        if (activity.lapStepCadence !== undefined && activity.lapTimeSec !== undefined) {
          activity.lapStepCadenceSum += activity.lapStepCadence * activity.lapTimeSec;
          activity.lapStepCadenceTime += activity.lapTimeSec;
        }
        return;
      }
      if (name === "Trackpoint" && point !== undefined) {
        activity.builder.add(point);
        activity.points += 1;
        totalPoints += 1;
        assertPointsWithinLimit(totalPoints, limits);
        point = undefined;
        return;
      }
      if (value === undefined) return;
      const key = `${parent}/${name}`;
      const grandparent = path[path.length - 2];
      if (point !== undefined) {
        switch (key) {
          case "Trackpoint/Time":
            point.time = parseIsoTime(value);
            break;
          case "Position/LatitudeDegrees":
            point.lat = number(value);
            break;
          case "Position/LongitudeDegrees":
            point.lon = number(value);
            break;
          case "Trackpoint/AltitudeMeters":
            point.altitudeM = number(value);
            break;
          case "Trackpoint/DistanceMeters":
            point.distanceM = number(value);
            break;
          case "HeartRateBpm/Value":
            if (grandparent === "Trackpoint") point.heartRate = number(value);
            break;
          case "Trackpoint/Cadence":
            // Biking cadence by the schema, yet Polar writes a run's steps here: the speed decides.
            point.cadence = number(value);
            break;
          case "TPX/RunCadence":
            point.cadence = number(value);
            activity.cadenceKind ??= "steps";
            break;
          case "TPX/Speed":
            point.speedMps = number(value);
            break;
          case "TPX/Watts":
            point.powerW = number(value);
            break;
        }
        return;
      }
      switch (key) {
        case "Activity/Id":
          activity.idTime = parseIsoTime(value);
          break;
        case "Lap/TotalTimeSeconds": {
          const seconds = number(value);
          if (seconds !== undefined && seconds > 0) {
            activity.timerSec += seconds;
            activity.lapTimeSec = seconds;
          }
          break;
        }
        case "Lap/DistanceMeters": {
          const metres = number(value);
          if (metres !== undefined && metres > 0) activity.distanceM += metres;
          break;
        }
        case "LX/AvgRunCadence": {
          const steps = number(value);
          if (steps !== undefined && steps > 0) activity.lapStepCadence = steps;
          break;
        }
        case "AverageHeartRateBpm/Value":
          if (grandparent === "Lap") activity.lapAvgHeartRate = number(value);
          break;
        case "MaximumHeartRateBpm/Value": {
          const bpm = number(value);
          if (grandparent === "Lap" && bpm !== undefined) {
            activity.maxHeartRate = Math.max(activity.maxHeartRate ?? 0, bpm);
          }
          break;
        }
      }
    },
  });

  if (activities.length === 0) {
    throw new ValidationError({
      code: "not_a_workout",
      message: "The TCX file contains no activity.",
    });
  }
  return activities.map((a, index) =>
    assembleActivity({
      source: "tcx",
      index,
      sport: mapSport({ sport: a.sportLabel, source: "tcx" }) ?? "other",
      deviceSport: a.sportLabel,
      samples: a.builder.finish(),
      declared: {
        startTime: a.firstLapStart ?? a.idTime,
        timerSec: a.laps > 0 ? a.timerSec : undefined,
        distanceM: a.distanceM > 0 ? a.distanceM : undefined,
        avgHeartRate: a.heartRateTime > 0 ? Math.round(a.heartRateTimeSum / a.heartRateTime) : undefined,
        maxHeartRate: a.maxHeartRate,
      },
      problems: [],
      cadenceKind: a.cadenceKind,
      lapStepCadence: a.lapStepCadenceTime > 0 ? a.lapStepCadenceSum / a.lapStepCadenceTime : undefined,
    }),
  );
}
