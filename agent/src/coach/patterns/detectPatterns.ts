/**
 * Drift detection (PURE): from the owner's accepted workouts, the patterns a coach acts on, each with the
 * evidence behind it: pace in the running window, daily streaks, weekdays usually missed, time-of-day habit,
 * a declining weekly trend, and a risk score 0..1 that the running window will be missed.
 *
 * Only workouts the rules would count (sport, minimum minutes, evidence) are considered. The risk is the
 * Poisson probability of fewer than the remaining workouts in the time left, at the owner's recent rate.
 */
import type { CountableWorkout, MilestoneRules } from "../../workouts/evaluateForMilestone.ts";
import { evaluateForMilestone } from "../../workouts/evaluateForMilestone.ts";
import { localParts, weekdayName } from "../zonedTime.ts";

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export type PatternKind = "pace" | "streak" | "missed_weekdays" | "time_of_day" | "declining_trend" | "risk";

export interface Pattern {
  kind: PatternKind;
  /** One sentence; every number in it is also in `evidence`. */
  summary: string;
  evidence: Record<string, unknown>;
}

export interface RunningWindow {
  startMs: number;
  endMs: number;
  done: number;
  required: number;
}

export interface DetectPatternsParameters {
  /** Accepted workouts (others are ignored), any order. */
  workouts: readonly (CountableWorkout & { status: "accepted" | "rejected" })[];
  /** When given, only workouts these rules would count are considered. */
  rules: MilestoneRules | null;
  timeZone: string;
  nowMs: number;
  /** The running milestone window, for pace and risk. */
  window: RunningWindow | null;
  /** History the rate, weekdays and habits are computed over. Default 56 days (8 weeks). */
  lookbackDays?: number;
}

export interface DetectPatternsReturnType {
  /** 0..1, two decimals: chance the running window is missed (0 without a running window or when met). */
  riskScore: number;
  patterns: Pattern[];
}

const ALWAYS = { startMs: Number.MIN_SAFE_INTEGER, endMs: Number.MAX_SAFE_INTEGER };

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** P(X < k) for X ~ Poisson(mean). */
export function poissonBelow(k: number, mean: number): number {
  if (k <= 0) return 0;
  if (mean <= 0) return 1;
  let term = Math.exp(-mean);
  let sum = term;
  for (let i = 1; i < k; i += 1) {
    term *= mean / i;
    sum += term;
  }
  return Math.min(1, sum);
}

function dayNumber(ms: number, timeZone: string): { day: number; weekday: number; hour: number } {
  const p = localParts(ms, timeZone);
  return { day: Math.floor(Date.UTC(p.year, p.month - 1, p.day) / DAY_MS), weekday: p.weekday, hour: p.hour };
}

/** The counted workouts, those in the lookback, and their local days, weekdays and hours. */
interface History {
  nowMs: number;
  lookbackDays: number;
  counted: readonly CountableWorkout[];
  recent: readonly CountableWorkout[];
  localized: readonly LocalizedWorkout[];
  recentLocal: readonly LocalizedWorkout[];
  today: number;
}

interface LocalizedWorkout {
  day: number;
  weekday: number;
  hour: number;
  startTime: number;
}

export function detectPatterns(parameters: DetectPatternsParameters): DetectPatternsReturnType {
  const { window } = parameters;
  const history = historyOf(parameters);
  const risk = window !== null ? riskPattern(history, window) : undefined;
  const patterns = [
    window !== null ? pacePattern(window, history.nowMs) : undefined,
    streakPattern(history),
    missedWeekdaysPattern(history),
    timeOfDayPattern(history),
    decliningTrendPattern(history),
    risk?.pattern,
  ].filter((pattern): pattern is Pattern => pattern !== undefined);
  return { riskScore: risk?.riskScore ?? 0, patterns };
}

function historyOf(parameters: DetectPatternsParameters): History {
  const { rules, timeZone, nowMs } = parameters;
  const lookbackDays = parameters.lookbackDays ?? 56;
  const counted = parameters.workouts
    .filter(
      (w) =>
        w.status === "accepted" &&
        w.startTime <= nowMs &&
        (rules === null || evaluateForMilestone(w, rules, ALWAYS).counts),
    )
    .sort((a, b) => a.startTime - b.startTime);
  const lookbackStart = nowMs - lookbackDays * DAY_MS;
  const localized = counted.map((w) => ({ ...dayNumber(w.startTime, timeZone), startTime: w.startTime }));
  return {
    nowMs,
    lookbackDays,
    counted,
    recent: counted.filter((w) => w.startTime >= lookbackStart),
    localized,
    recentLocal: localized.filter((w) => w.startTime >= lookbackStart),
    today: dayNumber(nowMs, timeZone).day,
  };
}

/** Pace in the running window. */
function pacePattern(window: RunningWindow, nowMs: number): Pattern {
  const elapsed = Math.min(1, Math.max(0, (nowMs - window.startMs) / (window.endMs - window.startMs)));
  const expectedByNow = Math.floor(window.required * elapsed);
  const elapsedPercent = Math.round(elapsed * 100);
  const status =
    window.done >= window.required ? "met" : window.done >= expectedByNow ? "on_track" : "behind";
  return {
    kind: "pace",
    summary:
      status === "met"
        ? `Requirement met: ${window.done} of ${window.required} done.`
        : `${window.done} of ${window.required} done with ${elapsedPercent}% of the window gone (about ${expectedByNow} expected by now): ${status === "behind" ? "behind" : "on track"}.`,
    evidence: { done: window.done, required: window.required, elapsedPercent, expectedByNow, status },
  };
}

/** Streaks of consecutive local days with a counted workout. */
function streakPattern({ localized, today }: History): Pattern {
  const days = [...new Set(localized.map((w) => w.day))].sort((a, b) => a - b);
  let longest = 0;
  let run = 0;
  for (let i = 0; i < days.length; i += 1) {
    run = i > 0 && days[i] === (days[i - 1] ?? 0) + 1 ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  const lastDay = days.at(-1);
  const currentStreak = lastDay !== undefined && today - lastDay <= 1 ? run : 0;
  return {
    kind: "streak",
    summary: `Current streak ${currentStreak} day(s), longest ${longest} day(s).`,
    evidence: {
      currentDays: currentStreak,
      longestDays: longest,
      lastWorkoutDaysAgo: lastDay === undefined ? null : today - lastDay,
    },
  };
}

/** Weekdays usually missed (trained on in fewer than a quarter of the weeks looked at). */
function missedWeekdaysPattern({ nowMs, lookbackDays, recent, recentLocal }: History): Pattern | undefined {
  const weeks = Math.max(1, Math.floor(lookbackDays / 7));
  const weeksWith = new Array<Set<number>>(7).fill(new Set()).map(() => new Set<number>());
  for (const w of recentLocal) weeksWith[w.weekday]?.add(Math.floor((nowMs - w.startTime) / WEEK_MS));
  const perWeekday: Record<string, number> = {};
  for (let d = 0; d < 7; d += 1) perWeekday[weekdayName(d)] = weeksWith[d]?.size ?? 0;
  if (recent.length < 4 || weeks < 4) return undefined;
  const missed = Object.entries(perWeekday)
    .filter(([, count]) => count / weeks < 0.25)
    .map(([name]) => name);
  if (missed.length === 0 || missed.length >= 7) return undefined;
  return {
    kind: "missed_weekdays",
    summary: `Usually no workout on ${missed.join(", ")} (over the last ${weeks} weeks).`,
    evidence: { weekdays: missed, weeksWithWorkoutByWeekday: perWeekday, weeks },
  };
}

function dayPart(hour: number): "morning" | "afternoon" | "evening" | "night" {
  if (hour >= 5 && hour < 12) return "morning";
  if (hour >= 12 && hour < 17) return "afternoon";
  if (hour >= 17 && hour < 22) return "evening";
  return "night";
}

/** Time-of-day habit: at least half of the recent workouts in one part of the day. */
function timeOfDayPattern({ recentLocal }: History): Pattern | undefined {
  const buckets = { morning: 0, afternoon: 0, evening: 0, night: 0 };
  for (const w of recentLocal) buckets[dayPart(w.hour)] += 1;
  if (recentLocal.length < 3) return undefined;
  const [bucket, count] = Object.entries(buckets).sort((a, b) => b[1] - a[1])[0] ?? ["morning", 0];
  const sharePercent = Math.round((count / recentLocal.length) * 100);
  if (sharePercent < 50) return undefined;
  return {
    kind: "time_of_day",
    summary: `Usually trains in the ${bucket}: ${count} of ${recentLocal.length} workouts (${sharePercent}%).`,
    evidence: { bucket, count, total: recentLocal.length, sharePercent, byBucket: buckets },
  };
}

/** Declining trend: least-squares slope of the last 8 weekly counts, oldest first. */
function decliningTrendPattern({ counted, nowMs }: History): Pattern | undefined {
  const weeklyCounts = new Array<number>(8).fill(0);
  for (const w of counted) {
    const age = Math.floor((nowMs - w.startTime) / WEEK_MS);
    if (age >= 0 && age < 8) weeklyCounts[7 - age] = (weeklyCounts[7 - age] ?? 0) + 1;
  }
  const meanX = 3.5;
  const meanY = weeklyCounts.reduce((a, b) => a + b, 0) / 8;
  let num = 0;
  let den = 0;
  weeklyCounts.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  const slope = round(num / den);
  const firstHalf = weeklyCounts.slice(0, 4).reduce((a, b) => a + b, 0);
  const secondHalf = weeklyCounts.slice(4).reduce((a, b) => a + b, 0);
  if (slope > -0.25 || secondHalf >= firstHalf) return undefined;
  return {
    kind: "declining_trend",
    summary: `Declining: ${firstHalf} workouts in weeks 8-5 ago, ${secondHalf} in the last 4 weeks (slope ${slope} per week).`,
    evidence: { weeklyCounts, slopePerWeek: slope, firstHalf, secondHalf },
  };
}

/** Risk that the running window is missed: Poisson at the recent rate over the time left. */
function riskPattern(
  { counted, recent, nowMs, lookbackDays }: History,
  window: RunningWindow,
): { riskScore: number; pattern: Pattern } {
  const remaining = Math.max(0, window.required - window.done);
  const daysLeft = Math.max(0, (window.endMs - nowMs) / DAY_MS);
  const firstStart = counted[0]?.startTime;
  const historyDays =
    firstStart === undefined
      ? lookbackDays
      : Math.max(7, Math.min(lookbackDays, (nowMs - firstStart) / DAY_MS));
  const ratePerDay = recent.length / historyDays;
  const expected = ratePerDay * daysLeft;
  const riskScore = remaining === 0 ? 0 : daysLeft === 0 ? 1 : round(poissonBelow(remaining, expected));
  return {
    riskScore,
    pattern: {
      kind: "risk",
      summary: `Risk of missing this window: ${riskScore} on a scale of 0 to 1 (need ${remaining} more in ${round(daysLeft, 1)} days at ${round(ratePerDay * 7, 1)} per week).`,
      evidence: {
        riskScore,
        remaining,
        daysLeft: round(daysLeft, 1),
        workoutsPerWeek: round(ratePerDay * 7, 1),
        expectedInTimeLeft: round(expected, 1),
        historyDays: round(historyDays, 1),
      },
    },
  };
}
