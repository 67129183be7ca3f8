/**
 * The workout files Alice's devices would produce, built in code with the agent's own test generators (FIT
 * encoded with the Garmin SDK, GPX and TCX written as XML), so the demo needs no files on disk.
 */
import { encodeFit, gpx, type TrackPoint, tcx, track, utf8 } from "../../agent/test/workouts/fixtures.ts";

export interface WorkoutFile {
  /** The name the upload carries. */
  fileName: string;
  /** What the file is, for the report. */
  description: string;
  bytes: Uint8Array;
}

const MINUTE = 60;

/** A heart rate that drifts up and down like a real one. */
const heartRate = (base: number) => (second: number) => base + Math.round(8 * Math.sin(second / 90));

/** A FIT run from a watch: `minutes` at `speedMps`, one record a second, timer started and stopped. */
export function fitRun(start: number, minutes: number, speedMps: number): WorkoutFile {
  const seconds = minutes * MINUTE;
  const records = track({ start, seconds, speedMps, withDistance: true, heartRate: heartRate(150) });
  const bytes = encodeFit({
    timeCreated: start,
    records,
    timerEvents: [
      [start, "start"],
      [start + seconds * 1000, "stopAll"],
    ],
    sessions: [
      {
        sport: "running",
        start,
        timerSec: seconds,
        elapsedSec: seconds,
        distanceM: speedMps * seconds,
        avgHeartRate: 150,
        maxHeartRate: 158,
      },
    ],
  });
  return {
    fileName: "monday-run.fit",
    description: `FIT, watch: ${minutes} min run at ${(speedMps * 3.6).toFixed(1)} km/h`,
    bytes,
  };
}

/** A GPX track (`<type>` as Strava writes it), a point every 2 s. */
export function gpxTrack(
  fileName: string,
  description: string,
  type: string,
  start: number,
  minutes: number,
  speedMps: number,
): WorkoutFile {
  const points: TrackPoint[] = track({
    start,
    seconds: minutes * MINUTE,
    intervalSec: 2,
    speedMps,
    heartRate: heartRate(140),
    ele: (second) => 420 + 6 * Math.sin(second / 400),
  });
  return { fileName, description, bytes: utf8(gpx({ type, metadataTime: start, segments: [points] })) };
}

/** A TCX run (Garmin Connect export): one lap, a trackpoint every 2 s. */
export function tcxRun(start: number, minutes: number, speedMps: number): WorkoutFile {
  const seconds = minutes * MINUTE;
  const points = track({
    start,
    seconds,
    intervalSec: 2,
    speedMps,
    withDistance: true,
    heartRate: heartRate(155),
  });
  const bytes = utf8(
    tcx([
      {
        sport: "Running",
        laps: [{ start, totalTimeSec: seconds, distanceM: speedMps * seconds, avgHeartRate: 155, points }],
      },
    ]),
  );
  return {
    fileName: "wednesday-run.tcx",
    description: `TCX, Garmin Connect export: ${minutes} min run at ${(speedMps * 3.6).toFixed(1)} km/h`,
    bytes,
  };
}

/** Alice's week: three genuine workouts and one "run" recorded in a car. Times are ms since the epoch. */
export function aliceWeekFiles(times: {
  monday: number;
  tuesday: number;
  wednesday: number;
  thursday: number;
}) {
  return [
    fitRun(times.monday, 45, 3),
    gpxTrack(
      "tuesday-ride.gpx",
      "GPX, bike computer: 50 min ride at 25.2 km/h",
      "cycling",
      times.tuesday,
      50,
      7,
    ),
    tcxRun(times.wednesday, 35, 2.8),
    gpxTrack(
      "thursday-run.gpx",
      'GPX, phone: a 40 min "run" at 90 km/h (recorded in a car)',
      "running",
      times.thursday,
      40,
      25,
    ),
  ];
}
