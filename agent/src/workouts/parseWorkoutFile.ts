import { type CompactTrackFingerprint, compactFingerprintOf } from "./trackFingerprint.ts";
import type { Hex } from "viem";
import { AgentError, TooLargeError, ValidationError } from "../errors.ts";
import { activityContentHash, contentHash } from "./contentHash.ts";
import { detectFormat, type WorkoutFormat } from "./detectFormat.ts";
import type { ParsedActivity } from "./parsedActivity.ts";
import { parseFit } from "./parseFit.ts";
import { parseGpx } from "./parseGpx.ts";
import { assertPointsWithinLimit, type ParserLimits } from "./parserLimits.ts";
import { parseTcx } from "./parseTcx.ts";

/**
 * The entry point for an uploaded workout file: size check, format detection from the content, parsing, hashing.
 *
 * Guarantees:
 * - TooLargeError `file_too_large` beyond `maxBytes`, before anything is decoded;
 * - TooLargeError `too_many_points` / `too_many_activities` beyond the other limits, found while reading (a
 *   1,000,000-point GPX under the default limits is refused after a linear scan of its text, and even within
 *   the limits it is parsed in one streaming pass into a bounded summary);
 * - any XML with a DOCTYPE is refused as `corrupt_file` (entity expansion and external entity defence);
 * - only the typed errors of ../errors.ts ever escape: UnsupportedError `unsupported_format`, ValidationError
 *   `corrupt_file` / `no_timestamps` / `not_a_workout` (the file yields no workout at all), TooLargeError. A
 *   bug or an unexpected value deep in a parser becomes `corrupt_file` with the original error as the cause.
 *
 * A file that yields activities returns them all, each with its content hash; whether each is genuine is
 * verifyWorkout's decision (the activities may carry parse problems such as `corrupt_file` or `no_timestamps`).
 */
export interface WorkoutFileLimits extends ParserLimits {
  /** Largest accepted file, bytes. */
  maxBytes: number;
}

export const DEFAULT_WORKOUT_FILE_LIMITS: WorkoutFileLimits = {
  // 25 MiB holds a 24-hour 1 Hz FIT recording several times over; GPX/TCX of the same length are ~10-20 MiB.
  maxBytes: 25 * 1024 * 1024,
  // 200,000 samples = 55 hours at one per second.
  maxPoints: 200_000,
  // A multisport day or a multi-activity TCX export; more is a bulk export, not an upload.
  maxActivities: 20,
};

export interface ParsedWorkout extends ParsedActivity {
  /** keccak256 of the activity's evidence (see contentHash.ts). */
  contentHash: Hex;
  /** keccak256 of the whole file. */
  fileHash: Hex;
  format: WorkoutFormat;
  /**
   * The track's replay fingerprint, when the file was parsed on the worker pool (`withFingerprints`): computed
   * there, off the event loop; undefined for a track too short to judge. Absent when parsed in process: the
   * ingestion computes it then.
   */
  fingerprint?: CompactTrackFingerprint | undefined;
}

/** The workouts with their tracks' fingerprints (what the parse worker hands back). */
export function withFingerprints(workouts: readonly ParsedWorkout[]): ParsedWorkout[] {
  return workouts.map((workout) => ({
    ...workout,
    fingerprint: compactFingerprintOf(workout.samples.track ?? []),
  }));
}

export type ParseWorkoutFileParameters = Parameters<typeof parseWorkoutFile>;
export type ParseWorkoutFileReturnType = ParsedWorkout[];

/** Counts occurrences of `needle` in the pieces of a document, stopping once `limit` is passed. */
function countUpTo(pieces: readonly string[], needle: string, limit: number): number {
  let count = 0;
  for (const text of pieces) {
    let at = text.indexOf(needle);
    while (at !== -1 && count <= limit) {
      count += 1;
      at = text.indexOf(needle, at + needle.length);
    }
  }
  return count;
}

/**
 * Whether the pieces are long enough for countUpTo (which counts occurrences that do not overlap) to pass
 * `limit`: a shorter document need not be searched (under the default limits, any below 1.2 M characters).
 */
export function mayHoldMoreThan(pieces: readonly string[], needle: string, limit: number): boolean {
  let length = 0;
  for (const text of pieces) length += text.length;
  return Math.floor(length / needle.length) > limit;
}

/**
 * About how many bytes of XML are decoded into one string. V8 puts a string above 128 KiB in its large-object
 * space, in freshly mapped pages: making one costs ~3.5 µs per KiB on the reference machine (page faults), the
 * same again to collect, against ~0.2 µs per KiB for strings below it.
 */
const XML_PIECE_BYTES = 64 * 1024;
const UTF8 = new TextDecoder("utf-8", { fatal: false });

/**
 * The text of an XML file as consecutive strings, each after the first starting with '<' (see xmlReader.ts's
 * XmlText): the joined string is exactly the whole file decoded. Invalid UTF-8 becomes U+FFFD (names and notes
 * may be in Latin-1); the BOM is dropped; leading whitespace before the XML declaration (Polar exports) is
 * tolerated. Each piece ends before an ASCII '<', which never belongs to a multi-byte sequence, so a piece
 * decodes alone to what it gives within the whole (an incomplete sequence before it is one U+FFFD either way).
 */
export function decodeXmlPieces(bytes: Uint8Array, pieceBytes = XML_PIECE_BYTES): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < bytes.length || pieces.length === 0) {
    let end = start + pieceBytes >= bytes.length ? bytes.length : bytes.indexOf(0x3c, start + pieceBytes);
    if (end === -1) end = bytes.length;
    pieces.push(UTF8.decode(bytes.subarray(start, end)));
    start = end;
  }
  pieces[0] = (pieces[0] ?? "").trimStart();
  return pieces;
}

/** A DOCTYPE or an entity declaration, in any case: one scan of the text (two patterns took two). */
const MARKUP_DECLARATION = /<!(?:DOCTYPE|ENTITY)/i;

function parseXml(format: "gpx" | "tcx", bytes: Uint8Array, limits: ParserLimits): ParsedActivity[] {
  const pieces = decodeXmlPieces(bytes);
  // The pattern starts with its only '<', and pieces are cut before a '<': no match spans two pieces.
  if (pieces.some((text) => MARKUP_DECLARATION.test(text))) {
    throw new ValidationError({
      code: "corrupt_file",
      message: "XML files with a DOCTYPE or entity declarations are not accepted.",
      details: { reason: "doctype" },
    });
  }
  // A cheap linear pre-count: a file with far too many points is refused before it is parsed.
  const pointTag = format === "gpx" ? "<trkpt" : "<Trackpoint";
  if (mayHoldMoreThan(pieces, pointTag, limits.maxPoints))
    assertPointsWithinLimit(countUpTo(pieces, pointTag, limits.maxPoints), limits);
  return format === "gpx" ? parseGpx(pieces, limits) : parseTcx(pieces, limits);
}

export function parseWorkoutFile(
  bytes: Uint8Array,
  limits: WorkoutFileLimits = DEFAULT_WORKOUT_FILE_LIMITS,
): ParsedWorkout[] {
  if (bytes.length > limits.maxBytes) {
    throw new TooLargeError({
      code: "file_too_large",
      message: `The file is larger than ${limits.maxBytes} bytes.`,
      details: { limit: limits.maxBytes, size: bytes.length },
    });
  }
  try {
    const format = detectFormat(bytes);
    const activities = format === "fit" ? parseFit(bytes, limits) : parseXml(format, bytes, limits);
    const fileHash = contentHash(bytes);
    return activities.map((activity) => ({
      ...activity,
      contentHash: activityContentHash({ fileHash, index: activity.index, count: activities.length }),
      fileHash,
      format,
    }));
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new ValidationError({
      code: "corrupt_file",
      message: "The file could not be read as a workout.",
      details: { reason: error instanceof Error ? error.message.slice(0, 200) : "unknown" },
      cause: error,
    });
  }
}
