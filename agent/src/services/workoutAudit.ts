import type { AuditEntryInput, AuditLogRepository } from "../store/auditLogRepository.ts";

/** The workout actions the audit log records. */
export type WorkoutAuditAction =
  | "workout.verdict"
  | "workout.review_requested"
  | "workout.review_decided"
  | "workout.sport_declared";

export type AuditWorkoutParameters = Parameters<typeof auditWorkout>;

/** The entry for what `actor` did to one workout: its subject is `workout:<id>`. */
export function workoutAuditEntry(
  actor: string,
  action: WorkoutAuditAction,
  workoutId: string,
  details: Record<string, unknown>,
): AuditEntryInput {
  return { actor, action, subject: `workout:${workoutId}`, details };
}

/** Appends what `actor` did to one workout (see `workoutAuditEntry`). */
export async function auditWorkout(
  auditLog: Pick<AuditLogRepository, "append">,
  ...entry: Parameters<typeof workoutAuditEntry>
): Promise<void> {
  await auditLog.append(workoutAuditEntry(...entry));
}
