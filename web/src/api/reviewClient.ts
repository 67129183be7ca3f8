/**
 * Human review of rejected workouts (PRODUCT.md v2): the owner asks for a review of a rejected workout; review
 * operators (the agent's `REVIEW_OPERATORS`) list the pending reviews and decide them. Answers are parsed with
 * zod; refusals arrive as ProblemError (`review_exists`, `not_operator`, `review_decided`, a field named).
 */
import { z } from "zod";
import { request } from "./agentClient.ts";
import { workoutSchema } from "./schemas.ts";

/** Longest note the agent takes, characters. */
export const REVIEW_NOTE_MAX = 2000;

const reviewSchema = z.object({
  id: z.string(),
  workoutId: z.string(),
  status: z.enum(["pending", "accepted", "rejected"]),
  note: z.string(),
  requestedAt: z.string(),
  decision: z.object({ note: z.string(), at: z.string() }).nullable(),
});
export type WorkoutReview = z.infer<typeof reviewSchema>;

const operatorReviewSchema = reviewSchema.extend({
  owner: z.string(),
  workout: z
    .object({
      id: z.string(),
      source: z.string(),
      sport: z.string(),
      startTime: z.string(),
      durationSec: z.number(),
      elapsedSec: z.number(),
      distanceM: z.number().nullable(),
      avgHeartRate: z.number().nullable(),
      /** The verdict's status and reasons, as in the app's workouts. */
      verdict: workoutSchema.shape.verdict.pick({ status: true, reasons: true }),
    })
    .nullable(),
});
export type OperatorReview = z.infer<typeof operatorReviewSchema>;

const requestedSchema = z.object({ review: reviewSchema });
const reviewListSchema = z.object({
  reviews: z.array(operatorReviewSchema).max(200),
  nextCursor: z.string().nullable(),
});
const decidedSchema = z.object({ review: operatorReviewSchema, workout: workoutSchema });

/** Asks an operator to look at one of your rejected workouts. */
export async function requestWorkoutReview(workoutId: string, note: string): Promise<WorkoutReview> {
  const body = await request(`/api/workouts/${encodeURIComponent(workoutId)}/review`, requestedSchema, {
    json: { note },
  });
  return body.review;
}

/** The pending reviews, oldest first (operators only: others get a 403 `not_operator`). */
export async function listPendingReviews(): Promise<OperatorReview[]> {
  return (await request("/api/review?limit=200", reviewListSchema)).reviews;
}

export async function decideReview(
  reviewId: string,
  decision: "accept" | "reject",
  note: string,
): Promise<z.infer<typeof decidedSchema>> {
  return request(`/api/review/${encodeURIComponent(reviewId)}`, decidedSchema, { json: { decision, note } });
}
