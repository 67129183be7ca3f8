import { ValidationError } from "../errors.ts";
import { parseIsoTime } from "./isoTime.ts";
import { assertActivitiesWithinLimit, assertPointsWithinLimit, type ParserLimits } from "./parserLimits.ts";
import { type SamplePoint, SampleSummaryBuilder } from "./sampleSummary.ts";
import { readXml, type XmlText } from "./xmlReader.ts";

/**
 * What the XML track parsers (parseGpx.ts, parseTcx.ts) share: the walk that keeps the element path and the text
 * of the elements a parser asks for, the reading of a sample's fields, and the count of samples against the
 * limits. Each parser keeps only what its format means.
 */

/** Numeric text of an element or attribute; blank or non-numeric text is no value. */
export function parseNumberText(text: string): number | undefined {
  const value = Number(text);
  // Number() reads blank text as 0: only then is the text looked at again.
  if (value === 0 && text.trim() === "") return undefined;
  return Number.isFinite(value) ? value : undefined;
}

/** What a track parser reacts to; `path` holds the open elements (the closed one no longer). */
export interface TrackXmlHandler {
  /** The root element's attributes (its name is checked by the walk). */
  root?(attributes: Readonly<Record<string, string>>): void;
  /** An element opened below the root; returns true when its text is to be captured. */
  open(
    name: string,
    parent: string | undefined,
    attributes: Readonly<Record<string, string>>,
    path: readonly string[],
  ): boolean;
  /** An element closed, with its text when `open` asked for it. */
  close(name: string, parent: string | undefined, value: string | undefined, path: readonly string[]): void;
}

export type ReadTrackXmlParameters = Parameters<typeof readTrackXml>;

/** Walks `text` (see xmlReader.ts); a root element other than `rootName` is `corrupt_file`. */
export function readTrackXml(text: XmlText, rootName: string, handler: TrackXmlHandler): void {
  const path: string[] = [];
  let capture: string | undefined;
  readXml(text, {
    open(name, attributes) {
      const parent = path[path.length - 1];
      path.push(name);
      if (path.length === 1) {
        if (name !== rootName) {
          throw new ValidationError({
            code: "corrupt_file",
            message: `The root element is not <${rootName}>.`,
          });
        }
        handler.root?.(attributes);
        return;
      }
      if (handler.open(name, parent, attributes, path)) capture = "";
    },
    text(value) {
      if (capture !== undefined) capture += value;
    },
    wantsText: () => capture !== undefined,
    close(name) {
      path.pop();
      const value = capture;
      capture = undefined;
      handler.close(name, path[path.length - 1], value, path);
    },
  });
}

/** A sample field an element's text fills: the time (ISO 8601) or a number. */
export type SampleField = Exclude<keyof SamplePoint, "lat" | "lon">;

/** Sets one field by name (a switch: each store is to a known property, not a keyed one). */
export function setSampleField(point: SamplePoint, field: SampleField, text: string): void {
  switch (field) {
    case "time":
      point.time = parseIsoTime(text);
      break;
    case "altitudeM":
      point.altitudeM = parseNumberText(text);
      break;
    case "distanceM":
      point.distanceM = parseNumberText(text);
      break;
    case "speedMps":
      point.speedMps = parseNumberText(text);
      break;
    case "heartRate":
      point.heartRate = parseNumberText(text);
      break;
    case "powerW":
      point.powerW = parseNumberText(text);
      break;
    case "cadence":
      point.cadence = parseNumberText(text);
      break;
  }
}

/** A track being read (a GPX <trk>, a TCX <Activity>) and the file it is read from. */
export interface RecordingTrack {
  builder: SampleSummaryBuilder;
  points: number;
}
export interface RecordingFile {
  limits: ParserLimits;
  totalPoints: number;
}

/** Adds a finished sample to its track; past `limits.maxPoints` in the whole file, TooLargeError. */
export function addTrackSample(file: RecordingFile, track: RecordingTrack, point: SamplePoint): void {
  track.builder.add(point);
  track.points += 1;
  file.totalPoints += 1;
  assertPointsWithinLimit(file.totalPoints, file.limits);
}

/** Starts a track of the file (`fields` and a fresh summary); past `limits.maxActivities` tracks, TooLargeError. */
export function startTrack<T extends RecordingTrack>(
  file: RecordingFile,
  tracks: T[],
  fields: Omit<T, keyof RecordingTrack>,
): T {
  const track = { ...fields, builder: new SampleSummaryBuilder(), points: 0 } as T;
  tracks.push(track);
  assertActivitiesWithinLimit(tracks.length, file.limits);
  return track;
}
