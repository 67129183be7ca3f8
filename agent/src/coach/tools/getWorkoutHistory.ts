/**
 * `getWorkoutHistory({ days? | from?, to?, sport?, limit? })`: the owner's workouts in a range, newest first,
 * each with its verdict, the milestones it counts for and, for each running commitment window it falls in,
 * why it does not count. Notes are returned as data (`note`), cut to 280 characters.
 */
import { z } from "zod";
import { SPORTS } from "../../rules/rulesDocument.ts";
import type { CommitmentRecord } from "../../store/commitmentsRepository.ts";
import type { WorkoutRecord } from "../../store/workoutsRepository.ts";
import { evaluateForMilestone, type MilestoneRules } from "../../workouts/evaluateForMilestone.ts";
import { loadRules, toCountable, windowAt } from "../commitmentProgress.ts";
import { formatLocal, rangeInZone } from "../zonedTime.ts";
import { defineOwnerTool } from "./coachTool.ts";
import { isoInstantArgument } from "./toolArguments.ts";

const DAY_MS = 86_400_000;
const PAGE = 200;
const MAX_PAGES = 10;

export const getWorkoutHistoryArguments = z
  .strictObject({
    days: z.number().int().min(1).max(366).optional().describe("The last N days (default 14)"),
    from: isoInstantArgument.optional(),
    to: isoInstantArgument.optional(),
    sport: z.enum(SPORTS).optional(),
    limit: z.number().int().min(1).max(50).optional().describe("At most this many workouts (default 20)"),
  })
  .refine((a) => a.days === undefined || (a.from === undefined && a.to === undefined), {
    message: "give either days or from/to",
    path: ["days"],
  });

export interface WorkoutSummary {
  id: string;
  sport: string;
  start: string;
  startLocal: string;
  durationMin: number;
  source: string;
  status: "accepted" | "rejected";
  rejectedBecause: { code: string; message: string }[];
  countsFor: { commitmentId: string; milestoneIndex: number }[];
  notCountingFor: {
    commitmentId: string;
    milestoneIndex: number;
    reasons: { code: string; message: string }[];
  }[];
  note?: string;
}

export interface GetWorkoutHistoryReturnType {
  timeZone: string;
  from: string;
  to: string;
  total: number;
  accepted: number;
  totalMinutes: number;
  workouts: WorkoutSummary[];
}

export const getWorkoutHistory = defineOwnerTool({
  name: "getWorkoutHistory",
  description:
    "The user's workouts in a range (default the last 14 days), newest first, with verdicts, which milestones each counts for and why one does not count.",
  parameters: getWorkoutHistoryArguments,
  run: async (args, { owner, deps, context, nowMs: now }): Promise<GetWorkoutHistoryReturnType> => {
    const toMs = args.to === undefined ? now : Date.parse(args.to);
    const fromMs = args.from === undefined ? toMs - (args.days ?? 14) * DAY_MS : Date.parse(args.from);
    const limit = args.limit ?? 20;

    const found: WorkoutRecord[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const { items, nextCursor } = await deps.store.workouts.listByOwner(owner, { limit: PAGE, cursor });
      for (const w of items) {
        const start = w.startTime.getTime();
        if (start < toMs && start >= fromMs && (args.sport === undefined || w.sport === args.sport))
          found.push(w);
      }
      const oldest = items.at(-1);
      if (nextCursor === null || oldest === undefined || oldest.startTime.getTime() < fromMs) break;
      cursor = nextCursor;
    }

    const windows: { commitment: CommitmentRecord; rules: MilestoneRules }[] = [];
    for (const commitment of context.commitments.slice(0, 20)) {
      const rules = await loadRules(deps.store, commitment.rulesHash);
      if (rules !== null) windows.push({ commitment, rules });
    }
    const workouts = found.slice(0, limit).map((w): WorkoutSummary => {
      const start = w.startTime.getTime();
      const countsFor: WorkoutSummary["countsFor"] = [];
      const notCountingFor: WorkoutSummary["notCountingFor"] = [];
      if (w.verdict.status === "accepted") {
        for (const { commitment, rules } of windows) {
          const index = Math.floor((start / 1000 - commitment.start) / commitment.period);
          if (index < 0 || index >= commitment.milestones) continue;
          const window = windowAt(commitment, index);
          const evaluation = evaluateForMilestone(toCountable(w), rules, window);
          const key = { commitmentId: commitment.commitmentId.toString(), milestoneIndex: index };
          if (evaluation.counts) countsFor.push(key);
          else
            notCountingFor.push({
              ...key,
              reasons: evaluation.reasons.map(({ code, message }) => ({ code, message })),
            });
        }
      }
      return {
        id: w.id,
        sport: w.sport,
        start: w.startTime.toISOString(),
        startLocal: formatLocal(start, context.timeZone),
        durationMin: Math.round(w.durationSec / 60),
        source: w.source,
        status: w.verdict.status,
        rejectedBecause: w.verdict.reasons.map(({ code, message }) => ({ code, message })),
        countsFor,
        notCountingFor,
        ...(w.notes === null || w.notes === undefined ? {} : { note: w.notes.slice(0, 280) }),
      };
    });
    const accepted = workouts.filter((w) => w.status === "accepted");
    return {
      ...rangeInZone(context.timeZone, fromMs, toMs),
      total: workouts.length,
      accepted: accepted.length,
      totalMinutes: accepted.reduce((sum, w) => sum + w.durationMin, 0),
      workouts,
    };
  },
});
