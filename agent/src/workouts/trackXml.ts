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

/** 10^0 ... 10^22: the powers of ten a double holds exactly (read from text, so each is exact). */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Integers below this are exact doubles. */
const EXACT_INTEGER_LIMIT = 2 ** 53;

/**
 * parseNumberText of text[from, to), read in place for the plain decimals track files write (`-?d+(.d+)?`
 * whose digits make an integer below 2^53, with at most 22 after the point): the digits as an integer over a
 * power of ten, both exact doubles, so the one division rounds correctly, to the double Number() gives. The
 * integer is summed digit by digit: every step is exact while the result stays below 2^53, and a result at or
 * above it is never rounded below it, so the check on the sum is exact. Any other text: parseNumberText.
 */
export function parseNumberAt(text: string, from: number, to: number): number | undefined {
  let k = from;
  const negative = k < to && text.charCodeAt(k) === 0x2d; /* - */
  // The sign without a branch of its own: arithmetic on a path no file took before the code was optimised
  // deoptimises it (the first file with negative coordinates after a run of positive ones did).
  k += negative ? 1 : 0;
  const integerStart = k;
  let mantissa = 0;
  for (; k < to; k += 1) {
    const digit = text.charCodeAt(k) - 0x30;
    if (digit < 0 || digit > 9) break;
    mantissa = mantissa * 10 + digit;
  }
  const integerDigits = k - integerStart;
  let fractionDigits = 0;
  if (k < to && text.charCodeAt(k) === 0x2e /* . */) {
    k += 1;
    const fractionStart = k;
    for (; k < to; k += 1) {
      const digit = text.charCodeAt(k) - 0x30;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
    }
    fractionDigits = k - fractionStart;
    if (fractionDigits === 0) k = -1;
  }
  if (
    k !== to ||
    integerDigits === 0 ||
    !(mantissa < EXACT_INTEGER_LIMIT) ||
    fractionDigits >= EXACT_POWERS_OF_TEN.length
  )
    return parseNumberText(text.slice(from, to));
  const value = fractionDigits === 0 ? mantissa : mantissa / (EXACT_POWERS_OF_TEN[fractionDigits] ?? 1);
  // value x -1 is -value, zero included (-0).
  return value * (negative ? -1 : 1);
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
  /**
   * XmlHandler.element (see xmlReader.ts), offered with the parent's local name: reads a whole element below
   * the root by itself, with the effects its open and close calls would have had, or answers -1.
   */
  element?(
    text: string,
    start: number,
    end: number,
    depthLeft: number,
    nextAmp: number,
    parent: string | undefined,
  ): number;
}

export type ReadTrackXmlParameters = Parameters<typeof readTrackXml>;

/** Walks `text` (see xmlReader.ts); a root element other than `rootName` is `corrupt_file`. */
export function readTrackXml(text: XmlText, rootName: string, handler: TrackXmlHandler): void {
  const path: string[] = [];
  let capture: string | undefined;
  const element = handler.element;
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
    ...(element === undefined
      ? {}
      : {
          element(at, start, end, depthLeft, nextAmp) {
            const after = element.call(handler, at, start, end, depthLeft, nextAmp, path[path.length - 1]);
            // Its close would have ended any capture (path is as it was: the element opened and closed).
            if (after !== -1) capture = undefined;
            return after;
          },
        }),
  });
}

/** A sample field an element's text fills: the time (ISO 8601) or a number. */
export type SampleField = Exclude<keyof SamplePoint, "lat" | "lon">;

/** Sets one field by name (a switch: each store is to a known property, not a keyed one). */
export function setSampleField(point: SamplePoint, field: SampleField, text: string): void {
  setSampleFieldAt(point, field, text, 0, text.length);
}

/** setSampleField with the text text[from, to), a number read in place (parseNumberAt). */
export function setSampleFieldAt(
  point: SamplePoint,
  field: SampleField,
  text: string,
  from: number,
  to: number,
): void {
  switch (field) {
    case "time":
      point.time = parseIsoTime(from === 0 && to === text.length ? text : text.slice(from, to));
      break;
    case "altitudeM":
      point.altitudeM = parseNumberAt(text, from, to);
      break;
    case "distanceM":
      point.distanceM = parseNumberAt(text, from, to);
      break;
    case "speedMps":
      point.speedMps = parseNumberAt(text, from, to);
      break;
    case "heartRate":
      point.heartRate = parseNumberAt(text, from, to);
      break;
    case "powerW":
      point.powerW = parseNumberAt(text, from, to);
      break;
    case "cadence":
      point.cadence = parseNumberAt(text, from, to);
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
