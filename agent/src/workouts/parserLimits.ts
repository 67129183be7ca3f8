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
}

export type AssertPointsWithinLimitParameters = Parameters<typeof assertPointsWithinLimit>;
export type AssertActivitiesWithinLimitParameters = Parameters<typeof assertActivitiesWithinLimit>;

export function assertPointsWithinLimit(points: number, limits: ParserLimits): void {
  if (points > limits.maxPoints) {
    throw new TooLargeError({
      code: "too_many_points",
      message: `The file holds more than ${limits.maxPoints} samples.`,
      details: { limit: limits.maxPoints, seen: points },
    });
  }
}

export function assertActivitiesWithinLimit(activities: number, limits: ParserLimits): void {
  if (activities > limits.maxActivities) {
    throw new TooLargeError({
      code: "too_many_activities",
      message: `The file holds more than ${limits.maxActivities} activities.`,
      details: { limit: limits.maxActivities, seen: activities },
    });
  }
}
