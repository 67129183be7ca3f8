/** Every tool the coach's agent loop can call, in the order they are offered to a model. */
import { analyzeCalendar } from "./analyzeCalendar.ts";
import type { AnyCoachTool } from "./coachTool.ts";
import { deployNudgeTool } from "./deployNudgeTool.ts";
import { detectPatternsTool } from "./detectPatternsTool.ts";
import { getCommitmentStatus } from "./getCommitmentStatus.ts";
import { getWorkoutHistory } from "./getWorkoutHistory.ts";
import { scheduleReminder } from "./scheduleReminder.ts";

export const coachTools: readonly AnyCoachTool[] = [
  getCommitmentStatus,
  getWorkoutHistory,
  detectPatternsTool,
  analyzeCalendar,
  deployNudgeTool,
  scheduleReminder,
];
