import { ValidationError } from "../errors.ts";
import { assembleActivity } from "./assembleActivity.ts";
import { parseIsoTime } from "./isoTime.ts";
import type { ParsedActivity } from "./parsedActivity.ts";
import { assertActivitiesWithinLimit, assertPointsWithinLimit, type ParserLimits } from "./parserLimits.ts";
import { type SamplePoint, SampleSummaryBuilder } from "./sampleSummary.ts";
import { mapSport } from "./sport.ts";
import { readXml } from "./xmlReader.ts";

/**
 * GPX 1.0 / 1.1 → one ParsedActivity per <trk> that has points (streamed, see xmlReader.ts).
 * - Samples: <trkpt lat lon> with <ele>, <time> and the usual extensions for heart rate (Garmin's
 *   TrackPointExtension <hr>, Amazfit's <heartrate>), <speed>, <cad>/<cadence>, <power>/<watts>.
 * - Each <trkseg> starts a new segment: the gap between segments is never counted as moving or as a jump.
 * - Sport from <trk><type> (words or Strava's numeric types), else OsmAnd's <extensions><osmand:activity> (of the
 *   track, else of <metadata>), else, in Runkeeper exports (creator "Runkeeper…"), the activity name that
 *   starts the track's <name> ("Running 9/13/14 7:57 am"); "other" when none says anything (README.md has the
 *   table of exporters and their words).
 * - The file's own time (<metadata><time> in 1.1, <time> under <gpx> in 1.0) is the creation time of the file;
 *   it only places a track none of whose points has a time (which then carries `no_timestamps`).
 * - Routes (<rte>) and waypoints are ignored: they are plans, not recordings.
 * A file without any track point is `not_a_workout`; points without any time `no_timestamps`.
 */
export type ParseGpxParameters = Parameters<typeof parseGpx>;
export type ParseGpxReturnType = ParsedActivity[];

/** Leaf elements whose text we read, and where. */
const POINT_FIELDS = new Set(["ele", "time", "hr", "heartrate", "speed", "cad", "cadence", "power", "watts"]);

interface TrackState {
  builder: SampleSummaryBuilder;
  type?: string;
  /** OsmAnd's <osmand:activity> of the track. */
  activity?: string;
  name?: string;
  points: number;
}

/** Runkeeper's track names: "<Activity> <m/d/yy> <h:mm> <am|pm>". */
const RUNKEEPER_NAME = /^\s*([A-Za-z][A-Za-z /-]*?)\s+\d{1,2}\/\d{1,2}\/\d{2,4}\b/;

/** The track's sport label: its <type>, OsmAnd's activity, Runkeeper's name, in that order. */
function sportLabelOf(
  track: TrackState,
  fileActivity: string | undefined,
  creator: string,
): string | undefined {
  if (track.type !== undefined && track.type !== "") return track.type;
  const activity = track.activity ?? fileActivity;
  if (activity !== undefined && activity !== "") return activity;
  if (/runkeeper/i.test(creator) && track.name !== undefined) return RUNKEEPER_NAME.exec(track.name)?.[1];
  return undefined;
}

function number(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

export function parseGpx(text: string, limits: ParserLimits): ParsedActivity[] {
  const path: string[] = [];
  const tracks: TrackState[] = [];
  let fileTime: number | undefined;
  let fileActivity: string | undefined;
  let creator = "";
  let track: TrackState | undefined;
  let point: SamplePoint | undefined;
  let capture: string | undefined;
  let totalPoints = 0;

  readXml(text, {
    open(name, attributes) {
      const parent = path[path.length - 1];
      path.push(name);
      if (path.length === 1) {
        if (name !== "gpx") {
          throw new ValidationError({ code: "corrupt_file", message: "The root element is not <gpx>." });
        }
        creator = (attributes.creator ?? "").slice(0, 200);
        return;
      }
      if (name === "trk" && parent === "gpx") {
        track = { builder: new SampleSummaryBuilder(), points: 0 };
        tracks.push(track);
        assertActivitiesWithinLimit(tracks.length, limits);
      } else if (track !== undefined && name === "trkseg" && parent === "trk") {
        track.builder.breakSegment();
      } else if (track !== undefined && name === "trkpt" && parent === "trkseg") {
        const lat = attributes.lat !== undefined ? number(attributes.lat) : undefined;
        const lon = attributes.lon !== undefined ? number(attributes.lon) : undefined;
        point = { lat, lon };
      } else if (point !== undefined && POINT_FIELDS.has(name)) {
        capture = "";
      } else if (
        (name === "time" && (parent === "metadata" || parent === "gpx")) ||
        ((name === "type" || name === "name") && parent === "trk") ||
        (name === "activity" && parent === "extensions")
      ) {
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
      if (name === "trk" && parent === "gpx") {
        track = undefined;
        return;
      }
      if (point !== undefined && track !== undefined) {
        if (name === "trkpt") {
          track.builder.add(point);
          track.points += 1;
          totalPoints += 1;
          assertPointsWithinLimit(totalPoints, limits);
          point = undefined;
          return;
        }
        if (value === undefined) return;
        switch (name) {
          case "ele":
            point.altitudeM = number(value);
            break;
          case "time":
            point.time = parseIsoTime(value);
            break;
          case "hr":
          case "heartrate":
            point.heartRate = number(value);
            break;
          case "speed":
            point.speedMps = number(value);
            break;
          case "cad":
          case "cadence":
            point.cadence = number(value);
            break;
          case "power":
          case "watts":
            point.powerW = number(value);
            break;
        }
        return;
      }
      if (value === undefined) return;
      if (name === "time" && (parent === "metadata" || parent === "gpx")) fileTime ??= parseIsoTime(value);
      if (name === "type" && parent === "trk" && track !== undefined) track.type = value.trim();
      if (name === "name" && parent === "trk" && track !== undefined) track.name = value.trim().slice(0, 200);
      if (name === "activity" && parent === "extensions") {
        const grandparent = path[path.length - 2];
        if (grandparent === "trk" && track !== undefined) track.activity = value.trim().slice(0, 100);
        else if (grandparent === "metadata") fileActivity = value.trim().slice(0, 100);
      }
    },
  });

  const recorded = tracks.filter((t) => t.points > 0);
  if (recorded.length === 0) {
    throw new ValidationError({
      code: "not_a_workout",
      message: "The GPX file contains no track points.",
      details: { tracks: tracks.length },
    });
  }
  return recorded.map((t, index) => {
    const samples = t.builder.finish();
    const label = sportLabelOf(t, fileActivity, creator);
    return assembleActivity({
      source: "gpx",
      index,
      sport: mapSport({ sport: label, source: "gpx" }) ?? "other",
      deviceSport: label,
      samples,
      // The file's time is when the file was written, not when the activity started: it only places a track
      // whose points carry no time at all.
      declared: { startTime: samples.timedPoints === 0 ? fileTime : undefined },
      problems: [],
    });
  });
}
