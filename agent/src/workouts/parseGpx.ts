import { ValidationError } from "../errors.ts";
import { assembleActivity } from "./assembleActivity.ts";
import { forgetGpxTrackPointNames, POINT_FIELDS, readGpxTrackPoint } from "./gpxTrackPoint.ts";
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
  setSampleField,
  startTrack,
} from "./trackXml.ts";
import type { XmlText } from "./xmlReader.ts";

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

interface TrackState extends RecordingTrack {
  type?: string;
  /** OsmAnd's <osmand:activity> of the track. */
  activity?: string;
  name?: string;
}

interface GpxReadState extends RecordingFile {
  tracks: TrackState[];
  track?: TrackState;
  point?: SamplePoint;
  fileTime?: number;
  fileActivity?: string;
  creator: string;
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

/**
 * How the track points are read: `auto` takes the plain ones by the fast path (gpxTrackPoint.ts), `general` reads
 * every element by the reader's events (the tests compare both).
 */
export type GpxReadMode = "auto" | "general";

/** Reads the document into `state`: every element by the reader's events, plain track points by the fast path. */
function readGpxDocument(text: XmlText, state: GpxReadState, readMode: GpxReadMode): void {
  readTrackXml(text, "gpx", {
    root(attributes) {
      state.creator = (attributes.creator ?? "").slice(0, 200);
    },
    open: (name, parent, attributes) => openGpxElement(state, name, parent, attributes),
    close: (name, parent, value, path) => closeGpxElement(state, name, parent, value, path),
    ...(readMode === "auto"
      ? {
          // Typed by TrackXmlHandler.element.
          element: (at, start, end, depthLeft, nextAmp, parent) =>
            readPlainTrackPoint(state, at, start, end, depthLeft, nextAmp, parent),
        }
      : {}),
  });
}

export function parseGpx(
  text: XmlText,
  limits: ParserLimits,
  readMode: GpxReadMode = "auto",
): ParsedActivity[] {
  const state: GpxReadState = { limits, totalPoints: 0, tracks: [], creator: "" };
  try {
    readGpxDocument(text, state, readMode);
  } finally {
    forgetGpxTrackPointNames();
  }

  const recorded = state.tracks.filter((t) => t.points > 0);
  if (recorded.length === 0) {
    throw new ValidationError({
      code: "not_a_workout",
      message: "The GPX file contains no track points.",
      details: { tracks: state.tracks.length },
    });
  }
  return recorded.map((t, index) => {
    const samples = t.builder.finish();
    const label = sportLabelOf(t, state.fileActivity, state.creator);
    return assembleActivity({
      source: "gpx",
      index,
      sport: mapSport({ sport: label, source: "gpx" }) ?? "other",
      deviceSport: label,
      samples,
      // The file's time is when the file was written, not when the activity started: it only places a track
      // whose points carry no time at all.
      declared: { startTime: samples.timedPoints === 0 ? state.fileTime : undefined },
      problems: [],
    });
  });
}

/**
 * A <trkpt> of a track's segment read by the fast path, with what its events would have done: its point added to
 * the track. -1 when it is not of the shape the fast path takes (the reader then reads it).
 */
function readPlainTrackPoint(
  state: GpxReadState,
  text: string,
  start: number,
  end: number,
  depthLeft: number,
  nextAmp: number,
  parent: string | undefined,
): number {
  const track = state.track;
  if (track === undefined || parent !== "trkseg" || text.charCodeAt(start + 1) !== 0x74 /* t */) return -1;
  const read = readGpxTrackPoint(text, start, end, depthLeft, nextAmp);
  if (read === undefined) return -1;
  // The point's close: state.point was set at its open and is cleared after it is added.
  state.point = undefined;
  addTrackSample(state, track, read.point);
  return read.end;
}

/** Starts a track, a segment or a point; returns true for the elements whose text is read. */
function openGpxElement(
  state: GpxReadState,
  name: string,
  parent: string | undefined,
  attributes: Readonly<Record<string, string>>,
): boolean {
  const track = state.track;
  if (name === "trk" && parent === "gpx") {
    state.track = startTrack(state, state.tracks, {});
    return false;
  }
  if (track !== undefined && name === "trkseg" && parent === "trk") {
    track.builder.breakSegment();
    return false;
  }
  if (track !== undefined && name === "trkpt" && parent === "trkseg") {
    const lat = attributes.lat !== undefined ? parseNumberText(attributes.lat) : undefined;
    const lon = attributes.lon !== undefined ? parseNumberText(attributes.lon) : undefined;
    state.point = newSamplePoint(lat, lon);
    return false;
  }
  if (state.point !== undefined && POINT_FIELDS.has(name)) return true;
  return (
    (name === "time" && (parent === "metadata" || parent === "gpx")) ||
    ((name === "type" || name === "name") && parent === "trk") ||
    (name === "activity" && parent === "extensions")
  );
}

function closeGpxElement(
  state: GpxReadState,
  name: string,
  parent: string | undefined,
  value: string | undefined,
  path: readonly string[],
): void {
  const { track, point } = state;
  if (name === "trk" && parent === "gpx") {
    state.track = undefined;
    return;
  }
  if (point !== undefined && track !== undefined) {
    if (name === "trkpt") {
      addTrackSample(state, track, point);
      state.point = undefined;
      return;
    }
    const field = POINT_FIELDS.get(name);
    if (value !== undefined && field !== undefined) setSampleField(point, field, value);
    return;
  }
  if (value !== undefined) readFileField(state, name, parent, value, path[path.length - 2]);
}

/** The file's time, and a track's type, name and OsmAnd activity (or the file's). */
function readFileField(
  state: GpxReadState,
  name: string,
  parent: string | undefined,
  value: string,
  grandparent: string | undefined,
): void {
  const track = state.track;
  if (name === "time" && (parent === "metadata" || parent === "gpx")) state.fileTime ??= parseIsoTime(value);
  if (name === "type" && parent === "trk" && track !== undefined) track.type = value.trim();
  if (name === "name" && parent === "trk" && track !== undefined) track.name = value.trim().slice(0, 200);
  if (name === "activity" && parent === "extensions") {
    if (grandparent === "trk" && track !== undefined) track.activity = value.trim().slice(0, 100);
    else if (grandparent === "metadata") state.fileActivity = value.trim().slice(0, 100);
  }
}
