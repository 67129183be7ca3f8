/**
 * A workout logged by hand (`POST /api/workouts`): the request schema, and its conversion to a `ManualActivity`
 * whose content hash is keccak256 of the canonical (RFC 8785) JSON of its fields, so logging the same workout
 * twice is recognised as a `duplicate`.
 */
import canonicalize from "canonicalize";
import type { Hex } from "viem";
import { z } from "zod";
import { keccak256Bytes } from "../workouts/contentHash.ts";
import { SPORTS } from "../workouts/index.ts";
import { isFromYearOne } from "../workouts/isoTime.ts";
import type { ManualActivity } from "./verifyManualWorkout.ts";

const UTF8 = new TextEncoder();

/** Longest manual log: two days, the verifier's wall-time limit (longer logs are refused as requests). */
export const MANUAL_MAX_DURATION_SEC = 48 * 3600;
export const MANUAL_NOTES_MAX = 1000;
/** 1,000 km: beyond any single workout, far below anything that would break arithmetic. */
export const MANUAL_MAX_DISTANCE_M = 1_000_000;

/** True when the text holds a control character other than tab and line breaks (PostgreSQL cannot even hold NUL). */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

export const manualWorkoutLogSchema = z
  .strictObject({
    sport: z.enum(SPORTS, {
      error: (issue) => (issue.input === undefined ? "is required" : `must be one of ${SPORTS.join(", ")}`),
    }),
    /** ISO 8601 with a UTC offset (`Z` or `+01:00`). */
    startTime: z.iso
      .datetime({ offset: true, error: "must be an ISO 8601 date-time with an offset" })
      // Year 0 and before would be stored as a BC date and read back as another instant (2001).
      .refine(isFromYearOne, "must be in year 1 or later"),
    durationMin: z
      .number()
      .positive()
      .max(MANUAL_MAX_DURATION_SEC / 60)
      .optional(),
    durationSec: z.int().min(1).max(MANUAL_MAX_DURATION_SEC).optional(),
    distanceM: z.number().min(0).max(MANUAL_MAX_DISTANCE_M).optional(),
    notes: z
      .string()
      .max(MANUAL_NOTES_MAX)
      .refine((notes) => !hasControlCharacter(notes), "must not contain control characters")
      .optional(),
  })
  .superRefine((log, ctx) => {
    if (log.durationMin === undefined && log.durationSec === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["durationMin"],
        message: "durationMin or durationSec is required",
      });
    } else if (log.durationMin !== undefined && log.durationSec !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["durationSec"],
        message: "give durationMin or durationSec, not both",
      });
    }
  });

export type ManualWorkoutLog = z.output<typeof manualWorkoutLogSchema>;

export type ManualActivityOfParameters = Parameters<typeof manualActivityOf>;
export type ManualActivityOfReturnType = ManualActivity;

/** The activity a parsed log describes; its content hash covers every field that was entered. */
export function manualActivityOf(log: ManualWorkoutLog): ManualActivity {
  const startTime = Date.parse(log.startTime);
  const durationSec = Math.max(1, log.durationSec ?? Math.round((log.durationMin ?? 0) * 60));
  const fields = {
    kind: "manual",
    sport: log.sport,
    startTime: new Date(startTime).toISOString(),
    durationSec,
    ...(log.distanceM !== undefined ? { distanceM: log.distanceM } : {}),
    ...(log.notes !== undefined ? { notes: log.notes } : {}),
  };
  const canonical = canonicalize(fields);
  if (canonical === undefined) throw new Error("unreachable: a manual log always serialises");
  // hash-wasm's keccak (contentHash.ts): the same hash as viem's pure-JS one, ~20 µs less per log.
  const contentHash: Hex = keccak256Bytes(UTF8.encode(canonical));
  return {
    contentHash,
    sport: log.sport,
    startTime,
    durationSec,
    ...(log.distanceM !== undefined ? { distanceM: log.distanceM } : {}),
    ...(log.notes !== undefined ? { notes: log.notes } : {}),
  };
}
