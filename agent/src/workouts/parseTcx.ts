import { ValidationError } from "../errors.ts";
import { assembleActivity } from "./assembleActivity.ts";
import { parseIsoTime } from "./isoTime.ts";
import type { ParsedActivity } from "./parsedActivity.ts";
import type { ParserLimits } from "./parserLimits.ts";
import { newSamplePoint, type SamplePoint } from "./sampleSummary.ts";
import { mapSport } from "./sport.ts";
import {
  addTrackSample,
  parseNumberText,
  type RecordingFile,
  type RecordingTrack,
  readTrackXml,
  type SampleField,
  setSampleField,
  startTrack,
} from "./trackXml.ts";
import type { XmlText } from "./xmlReader.ts";

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

interface ActivityState extends RecordingTrack {
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
  /** "steps" when the trackpoints carry <RunCadence> (<Cadence> may be either: Polar writes a run's there). */
  cadenceKind?: "steps";
  /** Time-weighted sum of the laps' <LX><AvgRunCadence>, and the lap time it covers. */
  lapStepCadenceSum: number;
  lapStepCadenceTime: number;
  lapStepCadence?: number;
}

interface TcxReadState extends RecordingFile {
  activities: ActivityState[];
  activity?: ActivityState;
  point?: SamplePoint;
}

/** Trackpoint elements whose text is read, keyed by "parent/name", and the sample field each fills. */
const TRACKPOINT_FIELDS = new Map<string, SampleField>([
  ["Trackpoint/Time", "time"],
  ["Trackpoint/AltitudeMeters", "altitudeM"],
  ["Trackpoint/DistanceMeters", "distanceM"],
  // Biking cadence by the schema, yet Polar writes a run's steps here: the speed decides.
  ["Trackpoint/Cadence", "cadence"],
  ["TPX/RunCadence", "cadence"],
  ["TPX/Speed", "speedMps"],
  ["TPX/Watts", "powerW"],
]);

/** Elements whose text is read, keyed by "parent/name". */
const CAPTURED = new Set([
  "Activity/Id",
  "Lap/TotalTimeSeconds",
  "Lap/DistanceMeters",
  "AverageHeartRateBpm/Value",
  "MaximumHeartRateBpm/Value",
  "Position/LatitudeDegrees",
  "Position/LongitudeDegrees",
  "HeartRateBpm/Value",
  "LX/AvgRunCadence",
  ...TRACKPOINT_FIELDS.keys(),
]);

export function parseTcx(text: XmlText, limits: ParserLimits): ParsedActivity[] {
  const state: TcxReadState = { limits, totalPoints: 0, activities: [] };
  readTrackXml(text, "TrainingCenterDatabase", {
    open: (name, parent, attributes, path) => openTcxElement(state, name, parent, attributes, path),
    close: (name, parent, value, path) => closeTcxElement(state, name, parent, value, path),
  });
  if (state.activities.length === 0) {
    throw new ValidationError({
      code: "not_a_workout",
      message: "The TCX file contains no activity.",
    });
  }
  return state.activities.map(toParsedActivity);
}

/** Starts an activity, a lap or a trackpoint; returns true for the elements whose text is read. */
function openTcxElement(
  state: TcxReadState,
  name: string,
  parent: string | undefined,
  attributes: Readonly<Record<string, string>>,
  path: readonly string[],
): boolean {
  if (
    name === "Activity" &&
    (parent === "Activities" || parent === "FirstSport" || parent === "NextSport") &&
    path.includes("Activities")
  ) {
    state.activity = startTrack(state, state.activities, {
      sportLabel: attributes.Sport,
      timerSec: 0,
      laps: 0,
      distanceM: 0,
      heartRateTimeSum: 0,
      heartRateTime: 0,
      lapStepCadenceSum: 0,
      lapStepCadenceTime: 0,
    });
    return false;
  }
  const activity = state.activity;
  if (activity === undefined) return false;
  if (name === "Lap" && parent === "Activity") {
    openLap(activity, attributes.StartTime);
    return false;
  }
  if (name === "Trackpoint" && parent === "Track") {
    state.point = newSamplePoint();
    return false;
  }
  return CAPTURED.has(`${parent}/${name}`);
}

function openLap(activity: ActivityState, startTime: string | undefined): void {
  activity.laps += 1;
  activity.lapTimeSec = undefined;
  activity.lapAvgHeartRate = undefined;
  activity.lapStepCadence = undefined;
  const start = startTime !== undefined ? parseIsoTime(startTime) : undefined;
  if (activity.firstLapStart === undefined && start !== undefined) activity.firstLapStart = start;
}

/** A lap's averages count weighted by its time. */
function closeLap(activity: ActivityState): void {
  if (activity.lapAvgHeartRate !== undefined && activity.lapTimeSec !== undefined) {
    activity.heartRateTimeSum += activity.lapAvgHeartRate * activity.lapTimeSec;
    activity.heartRateTime += activity.lapTimeSec;
  }
  if (activity.lapStepCadence !== undefined && activity.lapTimeSec !== undefined) {
    activity.lapStepCadenceSum += activity.lapStepCadence * activity.lapTimeSec;
    activity.lapStepCadenceTime += activity.lapTimeSec;
  }
}

function closeTcxElement(
  state: TcxReadState,
  name: string,
  parent: string | undefined,
  value: string | undefined,
  path: readonly string[],
): void {
  const { activity, point } = state;
  if (activity === undefined) return;
  if (name === "Activity") {
    state.activity = undefined;
    return;
  }
  if (name === "Lap" && parent === "Activity") {
    closeLap(activity);
    return;
  }
  if (name === "Trackpoint" && point !== undefined) {
    addTrackSample(state, activity, point);
    state.point = undefined;
    return;
  }
  if (value === undefined) return;
  const key = `${parent}/${name}`;
  const grandparent = path[path.length - 2];
  if (point !== undefined) readTrackpointField(activity, point, key, value, grandparent);
  else readActivityField(activity, key, value, grandparent);
}

function readTrackpointField(
  activity: ActivityState,
  point: SamplePoint,
  key: string,
  value: string,
  grandparent: string | undefined,
): void {
  const field = TRACKPOINT_FIELDS.get(key);
  if (field !== undefined) {
    setSampleField(point, field, value);
    if (key === "TPX/RunCadence") activity.cadenceKind ??= "steps";
    return;
  }
  if (key === "Position/LatitudeDegrees") point.lat = parseNumberText(value);
  else if (key === "Position/LongitudeDegrees") point.lon = parseNumberText(value);
  else if (key === "HeartRateBpm/Value" && grandparent === "Trackpoint")
    point.heartRate = parseNumberText(value);
}

/** Fields outside trackpoints: the activity's id and its laps' totals and heart rates. */
function readActivityField(
  activity: ActivityState,
  key: string,
  value: string,
  grandparent: string | undefined,
): void {
  if (key === "Activity/Id") {
    activity.idTime = parseIsoTime(value);
    return;
  }
  if (key === "AverageHeartRateBpm/Value") {
    if (grandparent === "Lap") activity.lapAvgHeartRate = parseNumberText(value);
    return;
  }
  const amount = parseNumberText(value);
  if (amount === undefined) return;
  if (key === "Lap/TotalTimeSeconds" && amount > 0) {
    activity.timerSec += amount;
    activity.lapTimeSec = amount;
  } else if (key === "Lap/DistanceMeters" && amount > 0) {
    activity.distanceM += amount;
  } else if (key === "LX/AvgRunCadence" && amount > 0) {
    activity.lapStepCadence = amount;
  } else if (key === "MaximumHeartRateBpm/Value" && grandparent === "Lap") {
    activity.maxHeartRate = Math.max(activity.maxHeartRate ?? 0, amount);
  }
}

function toParsedActivity(a: ActivityState, index: number): ParsedActivity {
  return assembleActivity({
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
  });
}
