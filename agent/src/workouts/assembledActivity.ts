import { ACTIVITY_SOURCES, assembledActivitySchema, type ParsedActivity } from "./parsedActivity.ts";
import { PARSE_PROBLEM_CODES } from "./reasons.ts";
import { BUILT_SUMMARY_CHECKS, MAX_JUMPS } from "./sampleSummary.ts";
import { SPORTS } from "./sport.ts";

/**
 * `assembledActivitySchema.parse` for what assembleActivity built, without zod's machinery on the way that
 * succeeds: zod's object parse of the activity, its ~45 summary fields, jumps and problems was 3 % of a 22 KB
 * FIT's parse + verify and 8 % of a 33 KB GPX's (after the decode, caches are cold for it). The same rules are
 * checked by plain code, never looser than the schema (integers up to 2^31 where the schema allows any safe
 * integer), and the value is built as zod builds it: each object anew with the schema's keys in the schema's
 * order, a key present when it is present in the input (so an optional key given as undefined stays, with
 * undefined), nested objects and arrays anew, what the schema keeps by `z.custom` as it is. Anything that fails
 * a check goes to the schema itself, which gives its own error (or, where this is stricter, its own value).
 * `assembledActivity.test.ts` compares the two on every fixture and on thousands of broken activities.
 */

/** The keys of parsedActivitySchema, sampleSummarySchema and their nested objects, in the schemas' order. */
export const ACTIVITY_KEYS = [
  "source",
  "index",
  "sport",
  "deviceSport",
  "startTime",
  "durationSec",
  "elapsedSec",
  "distanceM",
  "avgHeartRate",
  "maxHeartRate",
  "samples",
  "cadenceKind",
  "lapStepCadence",
  "problems",
] as const;
export const SUMMARY_KEYS = [
  "points",
  "timedPoints",
  "firstTime",
  "lastTime",
  "minTime",
  "maxTime",
  "backwardSteps",
  "maxBackwardSec",
  "repeatedTimes",
  "medianIntervalSec",
  "movingSec",
  "positionedPoints",
  "pathM",
  "extentM",
  "recordedDistanceM",
  "heartRatePoints",
  "heartRateMin",
  "heartRateMax",
  "heartRateMean",
  "powerPoints",
  "cadencePoints",
  "speedSeconds",
  "heartRateSeconds",
  "jumps",
  "peakPowerW",
  "cadenceSeconds",
  "climbM",
  "distanceSteps",
  "preview",
  "track",
] as const;
export const JUMP_KEYS = ["time", "distanceM", "dtSec"] as const;
export const DISTANCE_STEPS_KEYS = ["count", "modeM", "modeCount"] as const;
export const PROBLEM_KEYS = ["code", "message"] as const;

type Check = (value: unknown) => boolean;
type Fields = Record<string, unknown>;

const finite: Check = (v) => typeof v === "number" && Number.isFinite(v);
const nonNegative: Check = (v) => finite(v) && (v as number) >= 0;
const positive: Check = (v) => finite(v) && (v as number) > 0;
/** Stricter than `z.int().nonnegative()` (any safe integer): counts here are far below 2^31. */
const count: Check = (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x7fffffff;
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v);
const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);

/** Each field's check, by key (an object or array field is checked where it is rebuilt). */
const ACTIVITY_CHECKS: Record<string, Check> = {
  source: oneOf(ACTIVITY_SOURCES),
  index: count,
  sport: oneOf(SPORTS),
  deviceSport: optional((v) => typeof v === "string" && v.length <= 200),
  startTime: finite,
  durationSec: nonNegative,
  elapsedSec: nonNegative,
  distanceM: optional(nonNegative),
  avgHeartRate: optional(positive),
  maxHeartRate: optional(positive),
  cadenceKind: optional(oneOf(["pedal", "steps"])),
  lapStepCadence: optional(positive),
};
const SUMMARY_CHECKS: Record<string, Check> = {
  points: count,
  timedPoints: count,
  firstTime: optional(finite),
  lastTime: optional(finite),
  minTime: optional(finite),
  maxTime: optional(finite),
  backwardSteps: count,
  maxBackwardSec: nonNegative,
  repeatedTimes: count,
  medianIntervalSec: optional(nonNegative),
  movingSec: nonNegative,
  positionedPoints: count,
  pathM: nonNegative,
  extentM: nonNegative,
  recordedDistanceM: nonNegative,
  heartRatePoints: count,
  heartRateMin: optional(finite),
  heartRateMax: optional(finite),
  heartRateMean: optional(finite),
  powerPoints: count,
  cadencePoints: count,
  speedSeconds: BUILT_SUMMARY_CHECKS.speedSeconds,
  heartRateSeconds: BUILT_SUMMARY_CHECKS.heartRateSeconds,
  peakPowerW: optional(finite),
  cadenceSeconds: optional(BUILT_SUMMARY_CHECKS.cadenceSeconds),
  climbM: optional(nonNegative),
  preview: BUILT_SUMMARY_CHECKS.preview,
  track: optional(BUILT_SUMMARY_CHECKS.track),
};
const JUMP_CHECKS: Record<string, Check> = { time: finite, distanceM: nonNegative, dtSec: nonNegative };
const DISTANCE_STEPS_CHECKS: Record<string, Check> = { count, modeM: nonNegative, modeCount: count };
const PROBLEM_CHECKS: Record<string, Check> = {
  code: oneOf(PARSE_PROBLEM_CODES),
  message: (v) => typeof v === "string",
};

/** Thrown inside `rebuild` when a check fails: the schema then parses the input itself. */
const FAILED = Symbol("failed");

/**
 * A new object with `keys` of `input` (those it has) in their order, each checked by `checks` or rebuilt by
 * `nested` (which throws FAILED itself).
 */
function rebuild(
  input: unknown,
  keys: readonly string[],
  checks: Record<string, Check>,
  nested?: (key: string, value: unknown) => unknown,
): Fields {
  if (!isObject(input)) throw FAILED;
  const out: Fields = {};
  for (const key of keys) {
    const value = input[key];
    const check = checks[key];
    let result = value;
    if (check !== undefined) {
      if (!check(value)) throw FAILED;
    } else if (nested !== undefined) {
      result = nested(key, value);
    } else {
      throw FAILED;
    }
    if (key in input) out[key] = result;
  }
  return out;
}

function rebuildList(value: unknown, max: number, keys: readonly string[], checks: Record<string, Check>) {
  if (!Array.isArray(value) || value.length > max) throw FAILED;
  return value.map((item) => rebuild(item, keys, checks));
}

function rebuildSummary(key: string, value: unknown): unknown {
  if (key === "jumps") return rebuildList(value, MAX_JUMPS, JUMP_KEYS, JUMP_CHECKS);
  if (key === "distanceSteps")
    return value === undefined ? undefined : rebuild(value, DISTANCE_STEPS_KEYS, DISTANCE_STEPS_CHECKS);
  throw FAILED;
}

function rebuildActivity(key: string, value: unknown): unknown {
  if (key === "samples") return rebuild(value, SUMMARY_KEYS, SUMMARY_CHECKS, rebuildSummary);
  if (key === "problems") return rebuildList(value, Number.POSITIVE_INFINITY, PROBLEM_KEYS, PROBLEM_CHECKS);
  throw FAILED;
}

export type ParseAssembledActivityParameters = Parameters<typeof parseAssembledActivity>;

/** What `assembledActivitySchema.parse(value)` gives (see above); its error when it throws. */
export function parseAssembledActivity(value: unknown): ParsedActivity {
  try {
    return rebuild(value, ACTIVITY_KEYS, ACTIVITY_CHECKS, rebuildActivity) as ParsedActivity;
  } catch (error) {
    if (error !== FAILED) throw error;
    return assembledActivitySchema.parse(value);
  }
}
