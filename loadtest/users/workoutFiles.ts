/**
 * Device files for the simulated users, built with the agent tests' generators (agent/test/workouts/fixtures.ts):
 * a run north from a start point of the user's own (so no two users' files share content), one fix every 2 s,
 * with the receiver wobble and a moving heart rate that genuine recordings have (the verifier rejects the
 * ruler-straight, constant-pace line and the flat heart rate of a naive generator).
 */
import { encodeFit, gpx, type TrackPoint, tcx, track, utf8 } from "../../agent/test/workouts/fixtures.ts";
import type { FileFormat } from "./userPlan.ts";

export interface WorkoutFileParameters {
  format: FileFormat;
  /** ms since the epoch. */
  start: number;
  durationSec: number;
  /** Distinguishes users (start point) and workouts of one user (heart-rate phase). */
  user: number;
  workout: number;
}

export interface WorkoutFile {
  name: string;
  bytes: Uint8Array;
  contentType: string;
}

const SPEED_MPS = 3;

function runTrack(p: WorkoutFileParameters): TrackPoint[] {
  // Users spread over a 1° x 1° square; a workout a few hundred metres from the previous one.
  const lat0 = 47 + (p.user % 1000) / 1000 + p.workout * 0.003;
  const lon0 = 8 + Math.floor(p.user / 1000) / 100 + (p.user % 7) * 0.01;
  const phase = p.user * 0.37 + p.workout * 1.3;
  return track({
    start: p.start,
    seconds: p.durationSec,
    intervalSec: 2,
    speedMps: SPEED_MPS,
    lat0,
    lon0,
    withDistance: true,
    heartRate: (s) => 145 + Math.round(8 * Math.sin(s / 50 + phase) + 3 * Math.sin(s / 13)),
    ele: (s) => 300 + 4 * Math.sin(s / 200 + phase),
  });
}

export function workoutFile(p: WorkoutFileParameters): WorkoutFile {
  const points = runTrack(p);
  const name = `user${p.user}-workout${p.workout}.${p.format}`;
  if (p.format === "gpx") {
    return {
      name,
      contentType: "application/gpx+xml",
      bytes: utf8(gpx({ type: "running", segments: [points] })),
    };
  }
  if (p.format === "tcx") {
    return {
      name,
      contentType: "application/vnd.garmin.tcx+xml",
      bytes: utf8(
        tcx([
          {
            sport: "Running",
            laps: [
              {
                start: p.start,
                totalTimeSec: p.durationSec,
                distanceM: SPEED_MPS * p.durationSec,
                avgHeartRate: 145,
                maxHeartRate: 158,
                points,
              },
            ],
          },
        ]),
      ),
    };
  }
  const end = p.start + p.durationSec * 1000;
  return {
    name,
    contentType: "application/vnd.ant.fit",
    bytes: encodeFit({
      timeCreated: p.start,
      records: points,
      timerEvents: [
        [p.start, "start"],
        [end, "stopAll"],
      ],
      sessions: [
        {
          sport: "running",
          start: p.start,
          timerSec: p.durationSec,
          elapsedSec: p.durationSec,
          distanceM: SPEED_MPS * p.durationSec,
          avgHeartRate: 145,
          maxHeartRate: 158,
        },
      ],
    }),
  };
}
