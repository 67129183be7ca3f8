/**
 * The offline provider (default, deterministic): routes the user's last message to an intent, asks for the
 * tools that intent needs, then composes the reply ONLY from those tool results (so every number in it comes
 * from a tool). Intents: progress ("how am I doing?"), free time ("when can I work out this week?"), why a
 * workout did not count, reminders ("remind me tomorrow at 7"), and anything else (says what it can do).
 * Only the user's own message is routed: tool results (workout notes included) are never read as requests.
 */
import { SPORTS, type Sport } from "../../rules/rulesDocument.ts";
import { describeChallenge } from "../challengeContext.ts";
import type { AnalyzeCalendarReturnType } from "../tools/analyzeCalendar.ts";
import type { ToolOutcome } from "../tools/coachTool.ts";
import type { DetectPatternsToolReturnType } from "../tools/detectPatternsTool.ts";
import type { GetCommitmentStatusReturnType } from "../tools/getCommitmentStatus.ts";
import type { GetWorkoutHistoryReturnType, WorkoutSummary } from "../tools/getWorkoutHistory.ts";
import type { ScheduleReminderReturnType } from "../tools/scheduleReminder.ts";
import type { CoachMessage, CoachProvider, ProviderStep, ProviderToolCall } from "./coachMessages.ts";

export type Intent = "remind" | "why" | "when" | "status" | "unknown";

const SPORT_WORDS: Record<string, Sport> = {
  run: "run",
  runs: "run",
  running: "run",
  jog: "run",
  ride: "ride",
  rides: "ride",
  bike: "ride",
  cycling: "ride",
  swim: "swim",
  swimming: "swim",
  walk: "walk",
  walks: "walk",
  row: "row",
  rowing: "row",
  strength: "strength",
  lifting: "strength",
  gym: "strength",
};

export function classifyIntent(message: string): Intent {
  const text = message.toLowerCase();
  if (/\bremind(er)?\b/.test(text)) return "remind";
  if (/\bwhy\b|\b(did ?n[o']?t|does ?n[o']?t|not) (count|qualify)/.test(text)) return "why";
  if (/\bwhen\b|\bfree (time|slot)|\bslot|\bschedule\b|\btime to (train|work ?out|exercise)/.test(text))
    return "when";
  if (
    /\bhow am i\b|\bhow('?s| is) (it|my)\b|\bprogress\b|\bon track\b|\bstatus\b|\bbehind\b|\bdoing\b/.test(
      text,
    )
  ) {
    return "status";
  }
  return "unknown";
}

function sportIn(message: string): Sport | undefined {
  for (const word of message.toLowerCase().match(/[a-z]+/g) ?? []) {
    const sport = SPORT_WORDS[word] ?? (SPORTS as readonly string[]).find((s) => s === word);
    if (sport !== undefined) return sport as Sport;
  }
  return undefined;
}

/** "at 7", "7am", "7:30 pm", "19:30", "at noon" → "HH:MM"; null when no time is named. */
export function parseTimeOfDay(message: string): string | null {
  const text = message.toLowerCase().replace(/\b\d{4}-\d{2}-\d{2}\b/g, " ");
  if (/\bnoon\b/.test(text)) return "12:00";
  const match =
    text.match(/\bat\s+(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?![\d])/) ??
    text.match(/\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?![a-z])/) ??
    text.match(/\b(\d{1,2}):(\d{2})\b()/);
  if (match === null) return null;
  let hour = Number(match[1]);
  const minute = Number(match[2] ?? "0");
  const meridiem = match[3]?.[0];
  if (meridiem === "p" && hour < 12) hour += 12;
  if (meridiem === "a" && hour === 12) hour = 0;
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

function dayIn(message: string): string {
  const text = message.toLowerCase();
  const date = text.match(/\b(\d{4}-\d{2}-\d{2})\b/);
  if (date?.[1] !== undefined) return date[1];
  return /\btoday\b|\btonight\b/.test(text) ? "today" : "tomorrow";
}

function rangeIn(message: string): "today" | "tomorrow" | "this_week" {
  const text = message.toLowerCase();
  if (/\btoday\b|\btonight\b/.test(text)) return "today";
  if (/\btomorrow\b/.test(text)) return "tomorrow";
  return "this_week";
}

function call(name: string, args: Record<string, unknown>): ProviderToolCall {
  return { id: `rules-${name}`, name, arguments: JSON.stringify(args) };
}

/** The tool calls an intent starts with; empty when it can answer (or ask back) without tools. */
export function callsFor(intent: Intent, message: string): ProviderToolCall[] {
  switch (intent) {
    case "status":
      return [call("getCommitmentStatus", {}), call("detectPatterns", {})];
    case "when":
      return [call("analyzeCalendar", { range: rangeIn(message) })];
    case "why": {
      const sport = sportIn(message);
      return [call("getWorkoutHistory", sport === undefined ? { days: 14 } : { days: 14, sport })];
    }
    case "remind": {
      const time = parseTimeOfDay(message);
      return time === null ? [] : [call("scheduleReminder", { day: dayIn(message), time })];
    }
    case "unknown":
      return [];
  }
}

const CAPABILITIES =
  "I can tell you how you are doing on your commitment, find free time in your calendar for a workout, explain why a workout did not count, and set a reminder (say a day and a time). Ask me one of those.";

type Results = Map<string, ToolOutcome>;

function failure(outcome: ToolOutcome | undefined, what: string): string | null {
  if (outcome === undefined) return `I could not ${what}.`;
  return outcome.ok ? null : `I could not ${what}: ${outcome.error.message}`;
}

function composeStatus(results: Results): string {
  const statusOutcome = results.get("getCommitmentStatus");
  const failed = failure(statusOutcome, "read your commitments");
  if (failed !== null || statusOutcome === undefined || !statusOutcome.ok) return failed ?? CAPABILITIES;
  const status = statusOutcome.result as GetCommitmentStatusReturnType;
  // Older results (or a model's replay of one) may carry no challenges.
  const challenges = (status.challenges ?? []).map(describeChallenge);
  if (status.commitments.length === 0)
    return [
      `You have no running milestone right now.`,
      ...challenges,
      ...(challenges.length === 0 ? [status.note ?? ""] : []),
    ]
      .join(" ")
      .trim();
  const lines = status.commitments.map((c) =>
    c.met
      ? `Commitment ${c.commitmentId}, milestone ${c.milestoneNumber} of ${c.milestones}: done, ${c.done} of ${c.required} workouts. Claim it before ${c.claimDeadline}.`
      : `Commitment ${c.commitmentId}, milestone ${c.milestoneNumber} of ${c.milestones}: ${c.done} of ${c.required} workouts done, ${c.hoursLeft} h left (until ${c.windowEndLocal}), ${c.atStake} at stake.`,
  );
  // A pool participant still in hears what it takes to stay in.
  for (const c of status.commitments) {
    const challenge = (status.challenges ?? []).find((f) => f.challengeId === c.challengeId);
    if (challenge === undefined || challenge.you === "out" || c.met || c.remaining === 0) continue;
    lines.push(
      `You need ${c.remaining} more workout${c.remaining === 1 ? "" : "s"} by ${c.windowEndLocal} to stay in ${challenge.name}.`,
    );
  }
  lines.push(...challenges);
  const patternsOutcome = results.get("detectPatterns");
  if (patternsOutcome?.ok === true) {
    const patterns = patternsOutcome.result as DetectPatternsToolReturnType;
    for (const pattern of patterns.patterns) {
      if (pattern.kind === "pace" || pattern.kind === "risk" || pattern.kind === "declining_trend") {
        lines.push(pattern.summary);
      }
    }
  }
  return lines.join(" ");
}

function composeWhen(results: Results): string {
  const outcome = results.get("analyzeCalendar");
  const failed = failure(outcome, "read your calendar");
  if (failed !== null || outcome === undefined || !outcome.ok) return failed ?? CAPABILITIES;
  const calendar = outcome.result as AnalyzeCalendarReturnType;
  const source =
    calendar.calendar === "none" ? " (no calendar saved, so only your quiet hours are left out)" : "";
  if (calendar.slots.length === 0)
    return `I found no free slot of ${calendar.minMinutes} min or more${source}.`;
  const slots = calendar.slots.slice(0, 5).map((slot) => slot.local);
  return `Free slots (${calendar.timeZone})${source}: ${slots.join("; ")}.`;
}

function describeWorkout(w: WorkoutSummary): string {
  return `Your ${w.sport} on ${w.startLocal}`;
}

function composeWhy(results: Results, message: string): string {
  const outcome = results.get("getWorkoutHistory");
  const failed = failure(outcome, "read your workouts");
  if (failed !== null || outcome === undefined || !outcome.ok) return failed ?? CAPABILITIES;
  const history = outcome.result as GetWorkoutHistoryReturnType;
  const sport = sportIn(message);
  const notCounting = history.workouts.find((w) => w.status === "rejected" || w.notCountingFor.length > 0);
  if (notCounting === undefined) {
    const latest = history.workouts[0];
    if (latest === undefined) return `I found no recent ${sport ?? "workout"}.`;
    return latest.countsFor.length > 0
      ? `${describeWorkout(latest)} counts toward commitment ${latest.countsFor.map((c) => c.commitmentId).join(", ")}.`
      : `${describeWorkout(latest)} was accepted but falls in no running milestone window.`;
  }
  if (notCounting.status === "rejected") {
    return `${describeWorkout(notCounting)} was rejected: ${notCounting.rejectedBecause.map((r) => r.message).join(" ")}`;
  }
  const parts = notCounting.notCountingFor.map(
    (n) => `for commitment ${n.commitmentId}: ${n.reasons.map((r) => r.message).join(" ")}`,
  );
  return `${describeWorkout(notCounting)} did not count ${parts.join("; ")}`;
}

function composeRemind(results: Results): string {
  const outcome = results.get("scheduleReminder");
  if (outcome === undefined)
    return 'Tell me when: a day (today or tomorrow) and a time, like "remind me tomorrow at seven am".';
  if (!outcome.ok) return `I could not set that reminder: ${outcome.error.message}`;
  const reminder = outcome.result as ScheduleReminderReturnType;
  return `Done: I will remind you on ${reminder.dueLocal} (${reminder.timeZone}).`;
}

function lastUserIndex(messages: readonly CoachMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i -= 1) if (messages[i]?.role === "user") return i;
  return -1;
}

export function createRulesProvider(): CoachProvider {
  return {
    name: "rules",
    next: async ({ messages }): Promise<ProviderStep> => {
      const index = lastUserIndex(messages);
      const question = index < 0 ? "" : (messages[index] as { content: string }).content;
      const intent = classifyIntent(question);
      const results: Results = new Map();
      for (const message of messages.slice(index + 1)) {
        if (message.role !== "tool") continue;
        try {
          results.set(message.name, JSON.parse(message.content) as ToolOutcome);
        } catch {
          results.set(message.name, {
            ok: false,
            error: { code: "unreadable", message: "unreadable tool result" },
          });
        }
      }
      if (results.size === 0) {
        const calls = callsFor(intent, question);
        if (calls.length > 0) return { type: "toolCalls", calls };
      }
      switch (intent) {
        case "status":
          return { type: "reply", text: composeStatus(results) };
        case "when":
          return { type: "reply", text: composeWhen(results) };
        case "why":
          return { type: "reply", text: composeWhy(results, question) };
        case "remind":
          return { type: "reply", text: composeRemind(results) };
        case "unknown":
          return { type: "reply", text: CAPABILITIES };
      }
    },
  };
}
