import { CrcCalculator, Decoder, Stream } from "@garmin/fitsdk";
import { UnsupportedError, ValidationError } from "../errors.ts";
import { assembleActivity, type DeclaredSummary } from "./assembleActivity.ts";
import type { ParsedActivity } from "./parsedActivity.ts";
import {
  assertActivitiesWithinLimit,
  assertFitWithinLimits,
  assertPointsWithinLimit,
  DEFAULT_MAX_FIT_FIELDS,
  DEFAULT_MAX_FIT_MESSAGES,
  type ParserLimits,
} from "./parserLimits.ts";
import type { ParseProblemCode, Reason } from "./reasons.ts";
import { newSamplePoint, type SamplePoint, SampleSummaryBuilder } from "./sampleSummary.ts";
import { type FitSegment, type ScanFitReturnType, scanFit } from "./scanFit.ts";
import { mapSport, type Sport } from "./sport.ts";

/**
 * FIT → one ParsedActivity per session (a multisport file gives one per leg; "transition" sessions are the gaps
 * between legs and are dropped). How a damaged file is treated (see scanFit.ts for the statuses):
 * - intact / truncated segments: every complete message is decoded and trusted (a truncated file simply ends
 *   early; an unfinalised Zwift file still holds its whole ride);
 * - crc_mismatch / malformed: whatever decodes becomes an activity carrying `corrupt_file` (so the verdict says
 *   why), or, when nothing decodes, ValidationError `corrupt_file`;
 * - compressed-timestamp messages: UnsupportedError `unsupported_format`.
 * Before any decoding, scanFit counts the records, the data messages of every kind and their fields: beyond
 * `limits.maxPoints` the file is refused with TooLargeError `too_many_points`, beyond `limits.maxMessages`
 * with `too_many_messages`, beyond `limits.maxFields` with `too_many_fields`, so the SDK (which builds an object
 * for every message, even an empty one, and keeps them all) only sees bounded input.
 *
 * Without a session message (Sigma, unfinalised Zwift) the records and timer events make one activity, with
 * the sport of the `sport` or first `lap` message. FIT files that are not activities (courses, workouts,
 * settings) are `not_a_workout`: a course has timed records but nobody rode it.
 */
export type ParseFitParameters = Parameters<typeof parseFit>;
export type ParseFitReturnType = ParsedActivity[];

type Message = Record<string, unknown>;

const SEMICIRCLE_TO_DEGREES = 180 / 2 ** 31;
/** Records up to this long before a session's start, or after its end, still belong to it. */
const SESSION_SLACK_MS = 60_000;
const TIMER_STOP_TYPES = new Set(["stop", "stopAll", "stopDisable", "stopDisableAll"]);

function ms(value: unknown): number | undefined {
  return value instanceof Date && Number.isFinite(value.getTime()) ? value.getTime() : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function label(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function messagesOf(messages: Record<string, unknown>, key: string): Message[] {
  const list = messages[key];
  return Array.isArray(list) ? list.filter((m): m is Message => typeof m === "object" && m !== null) : [];
}

/** Rebuilds the trustworthy part of each segment as a well-formed FIT segment (exact size, fresh CRCs). */
function trustedBytes(bytes: Uint8Array, segments: FitSegment[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const segment of segments) {
    const header = bytes.slice(segment.offset, segment.offset + segment.headerSize);
    const dataSize = segment.validEnd - segment.dataStart;
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    view.setUint32(4, dataSize, true);
    if (segment.headerSize === 14) view.setUint16(12, CrcCalculator.calculateCRC(header, 0, 12), true);
    const data = bytes.subarray(segment.dataStart, segment.validEnd);
    const crc = new CrcCalculator();
    crc.addBytes(header, 0, header.length);
    crc.addBytes(data, 0, data.length);
    const crcBytes = new Uint8Array([crc.crc & 0xff, (crc.crc >> 8) & 0xff]);
    parts.push(header, data, crcBytes);
  }
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Intervals during which the device timer ran, from timer start/stop events. */
function timerIntervals(events: Message[], lastTime: number | undefined): [number, number][] {
  const timerEvents = events
    .filter((e) => e.event === "timer" && ms(e.timestamp) !== undefined)
    .map((e) => ({ time: ms(e.timestamp) ?? 0, type: label(e.eventType) ?? "" }))
    .sort((a, b) => a.time - b.time);
  const intervals: [number, number][] = [];
  let runningSince: number | undefined;
  for (const event of timerEvents) {
    if (event.type === "start") {
      runningSince ??= event.time;
    } else if (TIMER_STOP_TYPES.has(event.type) && runningSince !== undefined) {
      intervals.push([runningSince, event.time]);
      runningSince = undefined;
    }
  }
  if (runningSince !== undefined && lastTime !== undefined && lastTime > runningSince) {
    intervals.push([runningSince, lastTime]);
  }
  return intervals;
}

function runningWithin(intervals: [number, number][], from: number, to: number): number | undefined {
  if (intervals.length === 0) return undefined;
  let total = 0;
  for (const [a, b] of intervals) total += Math.max(0, Math.min(b, to) - Math.max(a, from));
  return total / 1000;
}

/**
 * A record's sample. With component expansion the SDK copies a valid 16-bit `altitude` / `speed` into
 * `enhancedAltitude` / `enhancedSpeed` (the same value, overwriting a native one); without it the 16-bit field
 * is read first, which gives the same value.
 */
function samplePoint(record: Message, expanded: boolean, point: SamplePoint): void {
  const lat = num(record.positionLat);
  const lon = num(record.positionLong);
  point.time = ms(record.timestamp);
  point.lat = lat !== undefined ? lat * SEMICIRCLE_TO_DEGREES : undefined;
  point.lon = lon !== undefined ? lon * SEMICIRCLE_TO_DEGREES : undefined;
  point.altitudeM = expanded
    ? (num(record.enhancedAltitude) ?? num(record.altitude))
    : (num(record.altitude) ?? num(record.enhancedAltitude));
  point.distanceM = num(record.distance);
  point.speedMps = expanded
    ? (num(record.enhancedSpeed) ?? num(record.speed))
    : (num(record.speed) ?? num(record.enhancedSpeed));
  point.heartRate = num(record.heartRate);
  point.powerW = num(record.power);
  point.cadence = num(record.cadence);
}

interface SessionPlan {
  sport: Sport | undefined;
  deviceSport: string | undefined;
  start: number | undefined;
  end: number | undefined;
  declared: DeclaredSummary;
  builder: SampleSummaryBuilder;
}

/**
 * The session a record at `time` belongs to: the last one started at or before it, if the record is not past
 * its end (+ slack); else the next one if it starts within the slack (the first record may precede the start).
 */
function sessionOf(plans: SessionPlan[], time: number): number | undefined {
  let index = -1;
  for (let i = plans.length - 1; i >= 0; i -= 1) {
    const start = plans[i]?.start;
    if (start !== undefined && start <= time) {
      index = i;
      break;
    }
  }
  const containing = plans[index];
  if (containing?.end !== undefined && time <= containing.end + SESSION_SLACK_MS) return index;
  const nextStart = plans[index + 1]?.start;
  if (nextStart !== undefined && nextStart - SESSION_SLACK_MS <= time) return index + 1;
  return undefined;
}

/**
 * A session's start: its start_time; without one, its timestamp minus its elapsed time; for the only session of
 * a file, its first record.
 */
function sessionStart(session: Message, records: Message[]): number | undefined {
  const start = ms(session.startTime);
  if (start !== undefined) return start;
  const end = ms(session.timestamp);
  const elapsed = num(session.totalElapsedTime);
  if (end !== undefined && elapsed !== undefined) return end - elapsed * 1000;
  let first: number | undefined;
  for (const record of records) {
    const t = ms(record.timestamp);
    if (t !== undefined) first = Math.min(first ?? t, t);
  }
  return first;
}

function deviceSportLabel(sport: unknown, subSport: unknown): string | undefined {
  const main = label(sport);
  const sub = label(subSport);
  if (main === undefined) return sub;
  return sub !== undefined && sub !== "generic" ? `${main}/${sub}` : main;
}

/**
 * How the SDK decodes: `auto` skips its component expansion (a third of its work on some files) when the scan
 * found nothing the parser reads that only the expansion provides (scanFit's `needsComponents`); `full` always
 * expands (the tests compare both on every device file).
 */
export type FitDecodeMode = "auto" | "full";

export function parseFit(
  bytes: Uint8Array,
  limits: ParserLimits,
  decodeMode: FitDecodeMode = "auto",
): ParsedActivity[] {
  const scan = scanWithinLimits(bytes, limits);
  const problems = damageProblems(scan);
  const expanded = decodeMode === "full" || scan.needsComponents;
  const decoded = decodeTrusted(bytes, scan, problems, expanded);
  assertActivityFile(decoded);

  const records = messagesOf(decoded, "recordMesgs");
  const sessionMesgs = messagesOf(decoded, "sessionMesgs");
  const sessions = sessionMesgs
    .map((s) => ({ message: s, start: sessionStart(s, sessionMesgs.length === 1 ? records : []) }))
    .sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
  if (sessions.length === 0 && records.length === 0) throw nothingRecorded(scan, problems);

  const sportMesgs = messagesOf(decoded, "sportMesgs");
  const plans =
    sessions.length === 0
      ? [planWithoutSession(sportMesgs[0] ?? messagesOf(decoded, "lapMesgs")[0] ?? {})]
      : sessions.map(({ message, start }, i) => planOfSession(message, start, sportMesgs[i]));
  assertActivitiesWithinLimit(plans.filter((p) => p.sport !== undefined).length, limits);
  // The records' last time comes from the pass that assigns them (no second pass over every timestamp).
  const lastTime = assignRecords(plans, records, sessions.length > 0, expanded);
  const intervals = timerIntervals(messagesOf(decoded, "eventMesgs"), lastTime);
  return assemblePlans(plans, intervals, problems);
}

/** Walks the file's structure (scanFit) and refuses it beyond the limits or with compressed timestamps. */
function scanWithinLimits(bytes: Uint8Array, limits: ParserLimits): ScanFitReturnType {
  const scan = scanFit(bytes, limits.maxPoints, {
    maxMessages: limits.maxMessages ?? DEFAULT_MAX_FIT_MESSAGES,
    maxFields: limits.maxFields ?? DEFAULT_MAX_FIT_FIELDS,
  });
  if (scan.exceededRecords) assertPointsWithinLimit(scan.records, limits);
  assertFitWithinLimits(
    scan.exceeded,
    limits,
    scan.exceeded === "messages" ? scan.dataMessages : scan.fields,
  );
  if (scan.segments[0] === undefined) {
    throw new ValidationError({ code: "corrupt_file", message: "The file has no FIT header." });
  }
  const unsupported = scan.segments.find((s) => s.status === "unsupported");
  if (unsupported !== undefined) {
    throw new UnsupportedError({
      code: "unsupported_format",
      message: "FIT files with compressed-timestamp messages are not supported.",
      details: { problem: unsupported.problem },
    });
  }
  return scan;
}

function damageProblems(scan: ScanFitReturnType): Reason<ParseProblemCode>[] {
  const damaged = scan.segments.filter((s) => s.status === "malformed" || s.status === "crc_mismatch");
  return damaged.map((s) => ({
    code: "corrupt_file",
    message: `The FIT file is damaged (${s.problem ?? s.status}); its data cannot be trusted.`,
  }));
}

/**
 * A Stream over bytes whose CRCs are known to be right (scanFit checked each segment of an intact file;
 * trustedBytes writes fresh ones), so the SDK does not compute the CRC of every byte a second time while
 * decoding (~8 ns a byte, 5-6 % of a FIT's parse + verify). The SDK's decoder (@garmin/fitsdk 21.217.0, pinned)
 * gives the stream a new `crcCalculator` for each file, which `readBytes` feeds, and at the file's end compares
 * its `crc` with the stored CRC it reads next. Here the stream keeps no calculator, so no byte is fed, and the
 * `crc` it reports is the stored one at the read position. `sharedFixtures.test.ts` requires the same activities
 * as a plain Stream gives on every device file.
 */
export function checkedCrcStream(bytes: Uint8Array): Stream {
  // The SDK only reads its buffer: bytes that are a whole ArrayBuffer are used as they are, not copied.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const stream =
    whole && bytes.buffer instanceof ArrayBuffer ? new Stream(bytes.buffer) : Stream.fromByteArray(bytes);
  const storedCrc = {
    get crc(): number {
      const at = stream.position;
      return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
    },
    addBytes: (): number => 0,
  };
  Object.defineProperty(stream, "crcCalculator", { get: () => storedCrc, set: () => {} });
  return stream;
}

/** Decodes the trustworthy part of the file; a decoding error on an otherwise sound file becomes a problem. */
function decodeTrusted(
  bytes: Uint8Array,
  scan: ScanFitReturnType,
  problems: Reason<ParseProblemCode>[],
  expandComponents: boolean,
): Record<string, unknown> {
  // An intact file (every segment walked to its declared end, CRCs checked by the scan, nothing after it) is
  // decoded as it is: rebuilding it would copy it and compute its CRC a second time for the same bytes.
  const asIs = scan.trailingBytes === 0 && scan.segments.every((s) => s.status === "intact");
  const decoder = new Decoder(checkedCrcStream(asIs ? bytes : trustedBytes(bytes, scan.segments)));
  const { messages, errors } = decoder.read(
    // Merging heart-rate messages needs the expansion; without it there is nothing to merge (needsComponents).
    expandComponents ? {} : { expandComponents: false, mergeHeartRates: false },
  );
  if (errors.length > 0 && problems.length === 0) {
    problems.push({
      code: "corrupt_file",
      message: `The FIT file could not be decoded (${String(errors[0]?.message ?? errors[0])}).`,
    });
  }
  return messages as unknown as Record<string, unknown>;
}

function assertActivityFile(decoded: Record<string, unknown>): void {
  const fileType = label(messagesOf(decoded, "fileIdMesgs")[0]?.type);
  if (fileType !== undefined && fileType !== "activity") {
    throw new ValidationError({
      code: "not_a_workout",
      message: `This FIT file is a ${fileType} file, not a recorded activity.`,
      details: { fileType },
    });
  }
}

/** The error for a file with neither session nor record: damaged, or simply not a workout. */
function nothingRecorded(scan: ScanFitReturnType, problems: Reason<ParseProblemCode>[]): ValidationError {
  if (problems.length > 0 || scan.segments.some((s) => s.status !== "intact")) {
    return new ValidationError({
      code: "corrupt_file",
      message: "The FIT file is damaged and holds no session or record that can be trusted.",
      details: { segments: scan.segments.map((s) => ({ status: s.status, problem: s.problem })) },
    });
  }
  return new ValidationError({
    code: "not_a_workout",
    message: "The FIT file holds no session and no record.",
  });
}

function sportOf(sportSource: Message): Pick<SessionPlan, "sport" | "deviceSport"> {
  return {
    sport: mapSport({
      sport: label(sportSource.sport),
      subSport: label(sportSource.subSport),
      source: "fit",
    }),
    deviceSport: deviceSportLabel(sportSource.sport, sportSource.subSport),
  };
}

/** A file without a session message: its records make one activity of the `sport` or first `lap` message. */
function planWithoutSession(sportSource: Message): SessionPlan {
  return {
    ...sportOf(sportSource),
    start: undefined,
    end: undefined,
    declared: {},
    builder: new SampleSummaryBuilder(),
  };
}

function planOfSession(
  message: Message,
  start: number | undefined,
  sportMesg: Message | undefined,
): SessionPlan {
  const sportSource = message.sport !== undefined ? message : (sportMesg ?? message);
  const elapsed = num(message.totalElapsedTime);
  const timer = num(message.totalTimerTime);
  const declaredEnd = ms(message.timestamp);
  // The session's span for assigning records: generous (the larger of elapsed and timer, since devices
  // swap them, or the session timestamp); the activity's own times are resolved from the evidence later.
  const end =
    start === undefined
      ? undefined
      : Math.max(
          start + Math.max(elapsed ?? 0, timer ?? 0) * 1000,
          declaredEnd !== undefined && declaredEnd > start ? declaredEnd : start,
        );
  return {
    ...sportOf(sportSource),
    start,
    end,
    declared: {
      startTime: start,
      endTime: declaredEnd,
      timerSec: timer,
      elapsedSec: elapsed,
      distanceM: num(message.totalDistance),
      avgHeartRate: num(message.avgHeartRate),
      maxHeartRate: num(message.maxHeartRate),
    },
    builder: new SampleSummaryBuilder(),
  };
}

/**
 * Feeds each record to the session it belongs to; records outside every session are not evidence for any.
 * Returns the latest time of any record (undefined when none has one).
 */
function assignRecords(
  plans: SessionPlan[],
  records: Message[],
  hasSessions: boolean,
  expanded: boolean,
): number | undefined {
  let current = 0;
  let lastTime: number | undefined;
  // One point object refilled per record: the builder reads it and keeps nothing of it.
  const point = newSamplePoint();
  for (const record of records) {
    samplePoint(record, expanded, point);
    if (point.time !== undefined) lastTime = Math.max(lastTime ?? point.time, point.time);
    let target: SessionPlan | undefined;
    if (!hasSessions) {
      target = plans[0];
    } else if (point.time === undefined) {
      target = plans[current];
    } else {
      const index = sessionOf(plans, point.time);
      if (index !== undefined) {
        target = plans[index];
        current = index;
      }
    }
    target?.builder.add(point);
  }
  return lastTime;
}

/** One activity per planned session with a sport ("transition" sessions have none and are dropped). */
function assemblePlans(
  plans: SessionPlan[],
  intervals: [number, number][],
  problems: Reason<ParseProblemCode>[],
): ParsedActivity[] {
  const activities: ParsedActivity[] = [];
  for (const plan of plans) {
    if (plan.sport === undefined) continue;
    const samples = plan.builder.finish();
    const from = plan.start ?? samples.minTime;
    const to = plan.end ?? samples.maxTime;
    const timerRunningSec =
      from !== undefined && to !== undefined ? runningWithin(intervals, from, to) : undefined;
    activities.push(
      assembleActivity({
        source: "fit",
        index: activities.length,
        sport: plan.sport,
        deviceSport: plan.deviceSport,
        samples,
        declared: { ...plan.declared, timerRunningSec },
        problems,
      }),
    );
  }
  if (activities.length === 0) {
    throw new ValidationError({
      code: "not_a_workout",
      message: "The FIT file holds only multisport transitions.",
    });
  }
  return activities;
}
