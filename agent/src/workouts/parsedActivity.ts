import { z } from "zod";
import { PARSE_PROBLEM_CODES } from "./reasons.ts";
import { builtSampleSummarySchema, sampleSummarySchema } from "./sampleSummary.ts";
import { SPORTS } from "./sport.ts";

/**
 * The one shape every parser (FIT, GPX, TCX) produces for each activity in a file, and a provider integration
 * (`provider`) produces for each activity it fetches. Each builds it, parses it with `parsedActivitySchema` and
 * returns only the parsed value.
 */
export const ACTIVITY_SOURCES = ["fit", "gpx", "tcx", "provider"] as const;
export type ActivitySource = (typeof ACTIVITY_SOURCES)[number];

export const parsedActivitySchema = z.object({
  source: z.enum(ACTIVITY_SOURCES),
  /** Position of this activity within its file (0 for single-activity files). */
  index: z.int().nonnegative(),
  sport: z.enum(SPORTS),
  /** The device's own sport label(s), for people reading a verdict (e.g. "fitnessEquipment/indoorRowing"). */
  deviceSport: z.string().max(200).optional(),
  /** Milliseconds since the Unix epoch (may be absurd, e.g. 1901: the verifier judges it). */
  startTime: z.number(),
  /** Moving (timer) time, pauses excluded, seconds. */
  durationSec: z.number().nonnegative(),
  /** Wall time from start to end, seconds. */
  elapsedSec: z.number().nonnegative(),
  distanceM: z.number().nonnegative().optional(),
  avgHeartRate: z.number().positive().optional(),
  maxHeartRate: z.number().positive().optional(),
  samples: sampleSummarySchema,
  /**
   * What the samples' cadence counts, when the format says so (TCX <RunCadence>: steps per minute of one foot).
   * Otherwise it is open (FIT, GPX and TCX <Cadence>, which Polar fills with steps): the sport inference reads
   * it together with the speed.
   */
  cadenceKind: z.enum(["pedal", "steps"]).optional(),
  /** Average step cadence of the laps (TCX <LX><AvgRunCadence>), steps per minute of one foot. */
  lapStepCadence: z.number().positive().optional(),
  /** Problems found while parsing, as verdict reasons. */
  problems: z.array(z.object({ code: z.enum(PARSE_PROBLEM_CODES), message: z.string() })),
});

export type ParsedActivity = z.infer<typeof parsedActivitySchema>;

/** What the parsers' assembleActivity checks: the same rules, the builder's track and preview checked by a loop. */
export const assembledActivitySchema = parsedActivitySchema.extend({ samples: builtSampleSummarySchema });
