import type { AuditLogRepository } from "../store/auditLogRepository.ts";

/** The workout actions the audit log records. */
export type WorkoutAuditAction =
  | "workout.verdict"
  | "workout.review_requested"
  | "workout.review_decided"
  | "workout.sport_declared";

export type AuditWorkoutParameters = Parameters<typeof auditWorkout>;

/** Appends what `actor` did to one workout: the entry's subject is `workout:<id>`. */
export async function auditWorkout(
  auditLog: Pick<AuditLogRepository, "append">,
  actor: string,
  action: WorkoutAuditAction,
  workoutId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await auditLog.append({ actor, action, subject: `workout:${workoutId}`, details });
}
