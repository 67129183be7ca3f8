/**
 * The sport of a workout whose file left it open (issue 21): inferred from the data at upload, declared by its
 * owner at upload (`sport` form field) or later (`PATCH /api/workouts/:id`).
 *
 * - `planWorkoutSports` (at ingestion, PURE): settles each activity's sport (workouts/inferSport.ts), keeps the
 *   inference and the sports the data is NOT plausible for (the `implausible_speed` message each would get
 *   under sportLimits.ts), and applies a declared sport to the activities that left it open. Refusals:
 *   a declared sport the data is not plausible for → ValidationError `implausible_speed` (422, field `sport`);
 *   a declared sport for a file that named every activity's sport otherwise → ConflictError
 *   `sport_named_by_file` (409, field `sport`).
 * - `declareWorkoutSport` (later): the owner's workout only (another's or an unknown id → 404
 *   `workout_not_found`, the answer never says whose it is); a sport the file named → 409 `sport_named_by_file`;
 *   implausible → 422 `implausible_speed`; a workout stored before sports were inferred (no detail kept) → 409
 *   `sport_evidence_missing`. The update and its audit entry (`workout.sport_declared`) are one transaction; the
 *   store reports the change, so cached commitment views and progress follow, and attestations read the
 *   declared sport like any other.
 */
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { SportDetail, SportOrigin } from "../store/schema.ts";
import { addressSchema, parseInput } from "../store/values.ts";
import { SPORTS, type Sport } from "../workouts/index.ts";
import { settleSport } from "../workouts/inferSport.ts";
import { plausibility, type VerifiableActivity } from "../workouts/verifyWorkout.ts";
import { loadOwnerCommitments } from "./ownerCommitments.ts";
import type { ServiceContext } from "./serviceContext.ts";
import { type WorkoutView, workoutViewOf } from "./workoutView.ts";
import { auditWorkout } from "./workoutAudit.ts";

export interface PlannedSport {
  activity: VerifiableActivity;
  sportOrigin: SportOrigin;
  sportDetail: SportDetail | null;
}

export interface PlanWorkoutSportsParameters {
  activities: readonly VerifiableActivity[];
  /** The sport the owner said the workout was (upload form field `sport`). */
  declaredSport?: Sport | undefined;
}
export type PlanWorkoutSportsReturnType = PlannedSport[];

/**
 * For each sport, the `implausible_speed` message the data would get under that sport's limits (if any): check 4
 * of verifyWorkout alone, so seven sports cost about one verdict.
 */
export function implausibleSports(activity: VerifiableActivity): Record<string, string> {
  const implausible: Record<string, string> = {};
  for (const sport of SPORTS) {
    const reason = plausibility({ ...activity, sport }).find((r) => r.code === "implausible_speed");
    if (reason !== undefined) implausible[sport] = reason.message;
  }
  return implausible;
}

function implausibleDeclaration(sport: Sport, message: string): ValidationError {
  return new ValidationError({
    code: "implausible_speed",
    message: `sport: the data is not plausible for ${sport}. ${message}`,
    details: { field: "sport", sport },
  });
}

function namedByFile(sport: string, declared: string): ConflictError {
  return new ConflictError({
    code: "sport_named_by_file",
    message: `sport: the file names the sport (${sport}); a declaration cannot override it.`,
    details: { field: "sport", sport, declared },
  });
}

export function planWorkoutSports({
  activities,
  declaredSport,
}: PlanWorkoutSportsParameters): PlanWorkoutSportsReturnType {
  const planned = activities.map((activity): PlannedSport => {
    const settlement = settleSport(activity);
    if (settlement.origin === "named" || settlement.inference === undefined) {
      return { activity, sportOrigin: "named", sportDetail: null };
    }
    const implausible = implausibleSports(activity);
    const detail: SportDetail = {
      ...(activity.deviceSport !== undefined ? { fileSport: activity.deviceSport } : {}),
      inference: { ...settlement.inference, basis: [...settlement.inference.basis] },
      implausible,
    };
    if (declaredSport !== undefined) {
      const message = implausible[declaredSport];
      if (message !== undefined) throw implausibleDeclaration(declaredSport, message);
      return {
        activity: { ...activity, sport: declaredSport },
        sportOrigin: "declared",
        sportDetail: { ...detail, declared: declaredSport },
      };
    }
    return {
      activity: { ...activity, sport: settlement.sport },
      sportOrigin: settlement.origin,
      sportDetail: detail,
    };
  });
  if (
    declaredSport !== undefined &&
    planned.every((p) => p.sportOrigin === "named") &&
    planned.some((p) => p.activity.sport !== declaredSport)
  ) {
    const named = planned.find((p) => p.activity.sport !== declaredSport);
    throw namedByFile(named?.activity.sport ?? "other", declaredSport);
  }
  return planned;
}

export interface DeclareWorkoutSportParameters {
  owner: string;
  workoutId: string;
  sport: Sport;
}
export type DeclareWorkoutSportReturnType = WorkoutView;

export async function declareWorkoutSport(
  context: ServiceContext,
  { owner, workoutId, sport }: DeclareWorkoutSportParameters,
): Promise<DeclareWorkoutSportReturnType> {
  const { store, logger } = context;
  const ownerAddress = parseInput(addressSchema, owner, "owner");
  const notFound = () =>
    new NotFoundError({
      code: "workout_not_found",
      message: "No workout of yours has this id.",
      details: { field: "params.id" },
    });
  const record = await store.transaction(async (tx) => {
    await tx.workouts.lockOwner(ownerAddress);
    const current = await tx.workouts.getById(workoutId);
    if (current === null || current.owner.toLowerCase() !== ownerAddress.toLowerCase()) throw notFound();
    if (current.sportOrigin === "named") throw namedByFile(current.sport, sport);
    const detail = current.sportDetail;
    if (detail === null) {
      throw new ConflictError({
        code: "sport_evidence_missing",
        message:
          "sport: this workout was stored before sports were inferred, so its data cannot be checked against a declared sport.",
        details: { field: "sport" },
      });
    }
    const message = detail.implausible[sport];
    if (message !== undefined) throw implausibleDeclaration(sport, message);
    if (current.sportOrigin === "declared" && current.sport === sport) return current;
    const updated = await tx.workouts.declareSport(current.id, {
      sport,
      expectedSport: current.sport,
      sportDetail: { ...detail, declared: sport },
    });
    if (updated === null) throw notFound();
    await auditWorkout(tx.auditLog, ownerAddress, "workout.sport_declared", current.id, {
      from: current.sport,
      fromOrigin: current.sportOrigin,
      to: sport,
      inferred: detail.inference.sport,
      confidence: detail.inference.confidence,
      status: current.verdict.status,
    });
    return updated;
  });
  logger.info({ owner: ownerAddress, workoutId: record.id, sport }, "workout sport declared");
  const commitments = await loadOwnerCommitments({
    repositories: store,
    chain: context.chain,
    owner: ownerAddress,
  });
  return workoutViewOf({ record, commitments });
}
