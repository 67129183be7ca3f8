/**
 * Human review of rejected workouts (PRODUCT.md v2):
 * - `requestWorkoutReview`: the owner asks an operator to look at one of their rejected workouts, with a note.
 *   Another person's or an unknown id → 404 `workout_not_found` (the answer never says whose it is); an accepted
 *   workout → 409 `workout_not_rejected`; a workout already sent → 409 `review_exists`.
 * - `listWorkoutReviews`: operators only (403 `not_operator`): the pending reviews, oldest first, each with its
 *   workout (owner, times, verdict and reasons) and the owner's note.
 * - `decideWorkoutReview`: operators only; a pending review only (404 `review_not_found`, 409 `review_decided`).
 *   `accept` makes the workout accepted (its rejection reasons are kept in the audit entry), `reject` leaves it
 *   rejected. The decision, the verdict change and the audit entry (`workout.review_decided`) are one
 *   transaction; the store reports the verdict change, so cached commitment views and progress follow at once.
 */
import type { Address } from "viem";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors.ts";
import type { ReviewStatus } from "../store/schema.ts";
import { addressSchema, parseInput } from "../store/values.ts";
import type { WorkoutReviewRecord } from "../store/workoutReviewsRepository.ts";
import type { WorkoutRecord } from "../store/workoutsRepository.ts";
import { loadOwnerCommitments } from "./ownerCommitments.ts";
import type { ServiceContext } from "./serviceContext.ts";
import { type WorkoutView, workoutViewOf } from "./workoutView.ts";
import { auditWorkout } from "./workoutAudit.ts";

export interface ReviewContext extends ServiceContext {
  /** Addresses allowed to list and decide reviews (`REVIEW_OPERATORS`), lower-case. */
  operators: ReadonlySet<string>;
}

/** A review as its owner sees it. */
export interface WorkoutReviewView {
  id: string;
  workoutId: string;
  status: ReviewStatus;
  note: string;
  requestedAt: string;
  decision: { note: string; at: string } | null;
}

/** A review as an operator sees it: with the workout and its owner. */
export interface OperatorReviewView extends WorkoutReviewView {
  owner: Address;
  workout:
    | (Pick<
        WorkoutView,
        "id" | "sport" | "startTime" | "durationSec" | "elapsedSec" | "distanceM" | "avgHeartRate"
      > & {
        source: string;
        verdict: Pick<WorkoutView["verdict"], "status"> & { reasons: { code: string; message: string }[] };
      })
    | null;
}

function reviewView(review: WorkoutReviewRecord): WorkoutReviewView {
  return {
    id: review.id,
    workoutId: review.workoutId,
    status: review.status,
    note: review.note,
    requestedAt: review.requestedAt.toISOString(),
    decision:
      review.decidedAt === null
        ? null
        : {
            note: review.decisionNote ?? "",
            at: review.decidedAt.toISOString(),
          },
  };
}

function operatorView(review: WorkoutReviewRecord, workout: WorkoutRecord | null): OperatorReviewView {
  return {
    ...reviewView(review),
    owner: review.owner,
    workout:
      workout === null
        ? null
        : {
            id: workout.id,
            source: workout.source,
            sport: workout.sport,
            startTime: workout.startTime.toISOString(),
            durationSec: workout.durationSec,
            elapsedSec: workout.elapsedSec,
            distanceM: workout.distanceM,
            avgHeartRate: workout.avgHeartRate,
            verdict: {
              status: workout.verdict.status,
              reasons: workout.verdict.reasons.map((r) => ({ ...r })),
            },
          },
  };
}

function requireOperator(context: ReviewContext, address: string): Address {
  const operator = parseInput(addressSchema, address, "operator");
  if (!context.operators.has(operator.toLowerCase())) {
    throw new ForbiddenError({
      code: "not_operator",
      message: "Only review operators may see or decide reviews.",
    });
  }
  return operator;
}

export interface RequestWorkoutReviewParameters {
  owner: string;
  workoutId: string;
  note: string;
}

export async function requestWorkoutReview(
  context: ServiceContext,
  { owner, workoutId, note }: RequestWorkoutReviewParameters,
): Promise<WorkoutReviewView> {
  const ownerAddress = parseInput(addressSchema, owner, "owner");
  const review = await context.store.transaction(async (tx) => {
    const workout = await tx.workouts.getById(workoutId);
    if (workout === null || workout.owner.toLowerCase() !== ownerAddress.toLowerCase()) {
      throw new NotFoundError({
        code: "workout_not_found",
        message: "No workout of yours has this id.",
        details: { field: "params.id" },
      });
    }
    if (workout.verdict.status !== "rejected") {
      throw new ConflictError({
        code: "workout_not_rejected",
        message: "Only a rejected workout can be sent for review.",
        details: { field: "params.id", status: workout.verdict.status },
      });
    }
    const stored = await tx.workoutReviews.request({
      workoutId: workout.id,
      owner: ownerAddress,
      note,
    });
    await auditWorkout(tx.auditLog, ownerAddress, "workout.review_requested", workout.id, {
      reviewId: stored.id,
      reasons: workout.verdict.reasons.map((r) => r.code),
      note,
    });
    return stored;
  });
  context.logger.info(
    { owner: ownerAddress, workoutId: review.workoutId, reviewId: review.id },
    "review requested",
  );
  return reviewView(review);
}

export interface ListWorkoutReviewsParameters {
  operator: string;
  status?: ReviewStatus;
  limit?: number;
  cursor?: string;
}

export async function listWorkoutReviews(
  context: ReviewContext,
  parameters: ListWorkoutReviewsParameters,
): Promise<{ reviews: OperatorReviewView[]; nextCursor: string | null }> {
  requireOperator(context, parameters.operator);
  const page = await context.store.workoutReviews.list({
    status: parameters.status ?? "pending",
    ...(parameters.limit !== undefined ? { limit: parameters.limit } : {}),
    ...(parameters.cursor !== undefined ? { cursor: parameters.cursor } : {}),
  });
  const reviews: OperatorReviewView[] = [];
  for (const review of page.items) {
    reviews.push(operatorView(review, await context.store.workouts.getById(review.workoutId)));
  }
  return { reviews, nextCursor: page.nextCursor };
}

export interface DecideWorkoutReviewParameters {
  operator: string;
  reviewId: string;
  decision: "accept" | "reject";
  note: string;
}

export async function decideWorkoutReview(
  context: ReviewContext,
  { operator, reviewId, decision, note }: DecideWorkoutReviewParameters,
): Promise<{ review: OperatorReviewView; workout: WorkoutView }> {
  const operatorAddress = requireOperator(context, operator);
  const { review, workout } = await context.store.transaction(async (tx) => {
    const current = await tx.workoutReviews.getById(reviewId);
    if (current === null) {
      throw new NotFoundError({
        code: "review_not_found",
        message: "There is no review with this id.",
        details: { field: "params.id" },
      });
    }
    const decided = await tx.workoutReviews.decide(current.id, {
      decision: decision === "accept" ? "accepted" : "rejected",
      operator: operatorAddress,
      note,
    });
    if (decided === null) {
      throw new ConflictError({
        code: "review_decided",
        message: "This review has already been decided.",
        details: { field: "params.id", status: current.status },
      });
    }
    const before = await tx.workouts.getById(decided.workoutId);
    if (before === null) {
      throw new NotFoundError({
        code: "workout_not_found",
        message: "The reviewed workout no longer exists.",
      });
    }
    const after =
      decision === "accept" && before.verdict.status === "rejected"
        ? await tx.workouts.setVerdict(before.id, {
            expectedStatus: "rejected",
            verdict: { status: "accepted", reasons: [] },
          })
        : before;
    if (after === null) {
      throw new ConflictError({
        code: "review_decided",
        message: "The workout's verdict changed meanwhile.",
      });
    }
    await auditWorkout(tx.auditLog, operatorAddress, "workout.review_decided", before.id, {
      reviewId: decided.id,
      decision,
      note,
      owner: before.owner.toLowerCase(),
      from: {
        status: before.verdict.status,
        reasons: before.verdict.reasons.map((r) => r.code),
      },
      to: { status: after.verdict.status },
    });
    return { review: decided, workout: after };
  });
  context.logger.info(
    {
      operator: operatorAddress,
      reviewId: review.id,
      workoutId: workout.id,
      decision,
    },
    "review decided",
  );
  const commitments = await loadOwnerCommitments({
    repositories: context.store,
    chain: context.chain,
    owner: workout.owner,
  });
  return {
    review: operatorView(review, workout),
    workout: workoutViewOf({ record: workout, commitments }),
  };
}
