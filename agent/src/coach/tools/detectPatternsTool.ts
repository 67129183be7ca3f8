/**
 * `detectPatterns({ commitmentId?, lookbackDays? })`: drift patterns over the owner's recent workouts (pace,
 * streaks, missed weekdays, time of day, trend) and the risk of missing the running window of the chosen
 * commitment (default: the first running one).
 */
import { z } from "zod";
import { loadProgress, toCountable } from "../commitmentProgress.ts";
import { type DetectPatternsReturnType, detectPatterns } from "../patterns/detectPatterns.ts";
import { defineCommitmentTool } from "./coachTool.ts";
import { commitmentIdArgument } from "./toolArguments.ts";

const DAY_MS = 86_400_000;

export const detectPatternsArguments = z.strictObject({
  commitmentId: commitmentIdArgument.optional(),
  lookbackDays: z.number().int().min(7).max(365).optional().describe("History to look at (default 56 days)"),
});

export interface DetectPatternsToolReturnType extends DetectPatternsReturnType {
  commitmentId: string | null;
  timeZone: string;
}

export const detectPatternsTool = defineCommitmentTool({
  name: "detectPatterns",
  description:
    "Patterns in the user's training (pace in the current window, streaks, weekdays usually missed, time-of-day habit, declining trend) and a 0..1 risk of missing the current milestone, each with evidence.",
  parameters: detectPatternsArguments,
  run: async (
    args,
    { owner, deps, context, nowMs, chosen: [commitment] },
  ): Promise<DetectPatternsToolReturnType> => {
    const loaded =
      commitment === undefined
        ? null
        : await loadProgress({ store: deps.store, commitment, nowMs, tokens: deps.tokens });
    const lookbackDays = args.lookbackDays ?? 56;
    const history = await deps.store.workouts.acceptedOverlapping(
      owner,
      new Date(nowMs - Math.max(lookbackDays, 56) * DAY_MS),
      new Date(nowMs),
    );
    const result = detectPatterns({
      workouts: history.map(toCountable),
      rules: loaded?.rules ?? null,
      timeZone: context.timeZone,
      nowMs,
      lookbackDays,
      window:
        loaded === null
          ? null
          : {
              startMs: loaded.window.startMs,
              endMs: loaded.window.endMs,
              done: loaded.progress.done,
              required: loaded.progress.required,
            },
    });
    return {
      ...result,
      commitmentId: loaded === null ? null : loaded.progress.commitmentId,
      timeZone: context.timeZone,
    };
  },
});
