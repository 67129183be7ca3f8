import { TooLargeError } from "../errors.ts";

/**
 * The work bounds every parser enforces while it reads (not after), so a hostile or huge file is refused as soon
 * as it crosses a bound, with a TooLargeError naming it.
 */
export interface ParserLimits {
  /** Most samples (track points, FIT records) in one file. */
  maxPoints: number;
  /** Most activities in one file. */
  maxActivities: number;
  /** FIT: most data messages of every kind (records, events, HRV, anything); default `DEFAULT_MAX_FIT_MESSAGES`. */
  maxMessages?: number;
  /** FIT: most decoded fields across all data messages (the decoded size); default `DEFAULT_MAX_FIT_FIELDS`. */
  maxFields?: number;
}

/** 1 Hz records for 55 hours (200,000) with an HRV, event or developer message beside each, and room to spare. */
export const DEFAULT_MAX_FIT_MESSAGES = 500_000;
/** 200,000 records of 20 fields: what the SDK may decode into memory (a few hundred MB at most). */
export const DEFAULT_MAX_FIT_FIELDS = 4_000_000;

/** Refuses a FIT file whose scan crossed a bound on messages or fields, naming it. */
export function assertFitWithinLimits(
  exceeded: "messages" | "fields" | undefined,
  limits: ParserLimits,
  seen: number,
): void {
  if (exceeded === undefined) return;
  const limit =
    exceeded === "messages"
      ? (limits.maxMessages ?? DEFAULT_MAX_FIT_MESSAGES)
      : (limits.maxFields ?? DEFAULT_MAX_FIT_FIELDS);
  throw new TooLargeError({
    code: exceeded === "messages" ? "too_many_messages" : "too_many_fields",
    message:
      exceeded === "messages"
        ? `The file holds more than ${limit} FIT messages.`
        : `The file's FIT messages hold more than ${limit} fields in all.`,
    details: { field: "file", limit, seen },
  });
}

export type AssertPointsWithinLimitParameters = Parameters<typeof assertPointsWithinLimit>;
export type AssertActivitiesWithinLimitParameters = Parameters<typeof assertActivitiesWithinLimit>;

export function assertPointsWithinLimit(points: number, limits: ParserLimits): void {
  assertCountWithin(points, limits.maxPoints, "too_many_points", "samples");
}

export function assertActivitiesWithinLimit(activities: number, limits: ParserLimits): void {
  assertCountWithin(activities, limits.maxActivities, "too_many_activities", "activities");
}

/** TooLargeError `code` once `seen` things of the file (`what`) pass `limit`. */
function assertCountWithin(
  seen: number,
  limit: number,
  code: "too_many_points" | "too_many_activities",
  what: string,
): void {
  if (seen > limit) {
    throw new TooLargeError({
      code,
      message: `The file holds more than ${limit} ${what}.`,
      details: { limit, seen },
    });
  }
}
