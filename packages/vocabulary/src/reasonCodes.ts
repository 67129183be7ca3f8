/**
 * The stable, machine-readable reason codes of PRODUCT.md ("Workouts and verdicts"). Codes are only ever added,
 * never renamed: the API, the web app and stored verdicts all depend on them.
 */

/** Codes that reject a workout: it is not genuine evidence (or not new evidence). */
export const REJECTION_CODES = [
  "corrupt_file",
  "unsupported_format",
  "no_timestamps",
  "invalid_timestamps",
  "future_timestamp",
  "not_a_workout",
  "implausible_speed",
  "gps_teleport",
  "implausible_heart_rate",
  "duplicate",
  "overlaps_existing",
  "replayed_track",
  "synthetic_track",
] as const;

/** Codes that explain why an accepted workout does not count for one commitment's milestone. */
export const COUNTING_CODES = [
  "manual_not_allowed",
  "too_short",
  "activity_not_allowed",
  "outside_window",
] as const;

/** The rejection codes a parser may attach to an activity before verification ("parse-level problems"). */
export const PARSE_PROBLEM_CODES = [
  "corrupt_file",
  "no_timestamps",
  "invalid_timestamps",
  "not_a_workout",
] as const satisfies readonly RejectionCode[];

export type RejectionCode = (typeof REJECTION_CODES)[number];
export type CountingCode = (typeof COUNTING_CODES)[number];
export type ParseProblemCode = (typeof PARSE_PROBLEM_CODES)[number];
export type ReasonCode = RejectionCode | CountingCode;

/** One reason in a verdict: a stable code and a short sentence for people. */
export interface Reason<TCode extends ReasonCode = ReasonCode> {
  code: TCode;
  message: string;
}

/** True when `code` is a known reason code (the web app shows unknown ones from newer agents as they come). */
export function isReasonCode(code: string): code is ReasonCode {
  return (
    (REJECTION_CODES as readonly string[]).includes(code) ||
    (COUNTING_CODES as readonly string[]).includes(code)
  );
}
