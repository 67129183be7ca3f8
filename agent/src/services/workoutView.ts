/**
 * The Workout as the API and the web app share it (PRODUCT.md "Workouts and verdicts"): ISO times, the verdict
 * with its reasons, the milestones it counts for, and — beside PRODUCT.md's fields — `verdict.notCounted`, the
 * counting reasons for each commitment an accepted workout does not count toward. `notes` appears only on
 * workouts that have them (manual logs).
 */
import type { SportOrigin, VerdictReason, WorkoutSource } from "../store/schema.ts";
import type { WorkoutRecord } from "../store/workoutsRepository.ts";
import type { CountableWorkout } from "../workouts/index.ts";
import { SPORTS, type Sport } from "../workouts/index.ts";
import {
  type CommitmentWithRules,
  type CountsForEntry,
  countWorkout,
  type NotCountedEntry,
} from "./countWorkout.ts";

export interface WorkoutView {
  id: string;
  source: WorkoutSource;
  contentHash: string;
  sport: string;
  /** ISO 8601, UTC. */
  startTime: string;
  /** Moving time, pauses excluded. */
  durationSec: number;
  /** Wall time. */
  elapsedSec: number;
  distanceM: number | null;
  avgHeartRate: number | null;
  notes?: string;
  /** The human review of this workout, when its owner asked for one (`GET /api/workouts` only). */
  review?: { status: "pending" | "accepted" | "rejected" };
  verdict: {
    status: "accepted" | "rejected";
    reasons: VerdictReason[];
    countsFor: CountsForEntry[];
    notCounted: NotCountedEntry[];
    /** Where the sport comes from, and for a file that left it open, what was inferred and from what. */
    sport: SportVerdict;
  };
}

/** `verdict.sport`: the sport's origin (issue 21). */
export interface SportVerdict {
  /** `named` by the file (or log, or provider), `inferred` from the data, `declared` by the owner, `unknown`. */
  origin: SportOrigin;
  /** The owner may declare the sport (`PATCH /api/workouts/:id { sport }`): the file left it open. */
  declarable: boolean;
  /** `sport inferred: run — median pace 5:10 /km, cadence 168 spm (confidence 0.85)`, or why not. */
  message?: string;
  /** The inference, whatever became of it (a declaration replaces its sport, not this record). */
  inferred?: { sport: string; candidate: string; confidence: number; basis: string[] };
  /** The file's own label when it had one ("Other", "generic"). */
  fileSport?: string;
}

/** `verdict.sport` of a stored workout. */
export function sportVerdictOf(record: Pick<WorkoutRecord, "sportOrigin" | "sportDetail">): SportVerdict {
  const detail = record.sportDetail;
  const verdict: SportVerdict = {
    origin: record.sportOrigin,
    declarable: record.sportOrigin !== "named" && detail !== null,
  };
  if (detail === null) return verdict;
  const { sport, candidate, confidence, basis, message } = detail.inference;
  verdict.message = message;
  verdict.inferred = { sport, candidate, confidence, basis: [...basis] };
  if (detail.fileSport !== undefined) verdict.fileSport = detail.fileSport;
  return verdict;
}

/** `new Date(ms).toISOString()` without the fraction when the time is a whole second. */
function isoTimeOfDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: from there on years have more than four digits. */
const YEAR_10000_MS = 253_402_300_800_000;

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * ISO 8601 in UTC, without a fraction when the time is a whole second (`2026-11-23T07:00:00Z`). Whole ms from 1970
 * to 9999 (every time the API shows) are written from the date's fields (days to a civil date as in H. Hinnant's
 * `civil_from_days`), a seventh of the cost of a `Date` and its `toISOString`: a commitment's view writes a dozen;
 * anything else goes through `toISOString` (which also throws RangeError on an invalid time).
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000_MS) return isoTimeOfDate(ms);
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  // Days since 0000-03-01 in 400-year eras (146,097 days each): from 1970 on, `era` and every term are >= 0.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const time = `${year}-${twoDigits(month)}-${twoDigits(day)}T${twoDigits(hours)}:${twoDigits(minutes)}:${twoDigits(seconds)}`;
  if (millis === 0) return `${time}Z`;
  return `${time}.${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

function isSport(value: string): value is Sport {
  return (SPORTS as readonly string[]).includes(value);
}

/** A stored sport as the rules see it: one of `SPORTS`, else `other`. */
export function sportOf(stored: string): Sport {
  return isSport(stored) ? stored : "other";
}

/** The facts of a stored workout that the rules look at. */
export function countableOf(record: WorkoutRecord): CountableWorkout & { status: "accepted" | "rejected" } {
  return {
    id: record.id,
    source: record.source,
    sport: sportOf(record.sport),
    startTime: record.startTime.getTime(),
    durationSec: record.durationSec,
    status: record.verdict.status,
  };
}

export interface WorkoutViewOfParameters {
  record: WorkoutRecord;
  commitments: readonly CommitmentWithRules[];
  /** Replaces the stored verdict's status and reasons (a re-upload answered as `duplicate`). */
  verdictOverride?: { status: "accepted" | "rejected"; reasons: VerdictReason[] };
}

export function workoutViewOf({
  record,
  commitments,
  verdictOverride,
}: WorkoutViewOfParameters): WorkoutView {
  const verdict = verdictOverride ?? record.verdict;
  const counting =
    verdictOverride === undefined
      ? countWorkout(countableOf(record), commitments)
      : { countsFor: [], notCounted: [] };
  const view: WorkoutView = {
    id: record.id,
    source: record.source,
    contentHash: record.contentHash,
    sport: record.sport,
    startTime: isoTime(record.startTime.getTime()),
    durationSec: record.durationSec,
    elapsedSec: record.elapsedSec,
    distanceM: record.distanceM,
    avgHeartRate: record.avgHeartRate,
    verdict: {
      status: verdict.status,
      reasons: verdict.reasons.map((r) => ({ code: r.code, message: r.message })),
      countsFor: counting.countsFor,
      notCounted: counting.notCounted,
      sport: sportVerdictOf(record),
    },
  };
  if (record.notes !== null) view.notes = record.notes;
  return view;
}
