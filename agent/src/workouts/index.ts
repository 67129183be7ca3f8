/** The workout evidence pipeline: parse an uploaded file, verify each activity, count it for milestones. */
export { activityContentHash, contentHash } from "./contentHash.ts";
export { detectFormat, type WorkoutFormat } from "./detectFormat.ts";
export {
  type CountableWorkout,
  evaluateForMilestone,
  type MilestoneRules,
  type MilestoneWindow,
  summarizeWindow,
  type WorkoutSourceKind,
} from "./evaluateForMilestone.ts";
export type { ParsedActivity } from "./parsedActivity.ts";
export {
  DEFAULT_WORKOUT_FILE_LIMITS,
  type ParsedWorkout,
  parseWorkoutFile,
  type WorkoutFileLimits,
} from "./parseWorkoutFile.ts";
export {
  COUNTING_CODES,
  type CountingCode,
  type Reason,
  type ReasonCode,
  REJECTION_CODES,
  type RejectionCode,
} from "./reasons.ts";
export { SPORTS, type Sport } from "./sport.ts";
export {
  DEFAULT_VERIFY_LIMITS,
  type ExistingWorkout,
  type Verdict,
  type VerifyLimits,
  verifyWorkout,
  type VerifyWorkoutContext,
} from "./verifyWorkout.ts";
