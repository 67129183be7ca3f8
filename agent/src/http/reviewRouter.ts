/**
 * Human review routes (PRODUCT.md v2), mounted at `/api` (every route needs a session):
 * - `POST /workouts/:id/review { note }` → `201 { review }`: the owner of a rejected workout asks for a review
 *   (404 `workout_not_found` for another's or an unknown id, 409 `workout_not_rejected`, 409 `review_exists`);
 * - `GET /review?status&limit&cursor` → `{ reviews, nextCursor }`: operators only (403 `not_operator`), pending
 *   reviews by default, oldest first, each with its workout and owner;
 * - `POST /review/:id { decision: "accept"|"reject", note }` → `{ review, workout }`: operators only; a decided
 *   review → 409 `review_decided`.
 * Operators are the addresses of `REVIEW_OPERATORS`, signed in with SIWE like anyone. Notes are 1-2,000
 * characters (a decision's may be empty); bad input is a 400 problem naming the field.
 */
import { type RequestHandler, Router } from "express";
import { z } from "zod";
import { requireSession, sessionOf } from "../auth/session.ts";
import { ForbiddenError } from "../errors.ts";
import {
  decideWorkoutReview,
  listWorkoutReviews,
  type ReviewContext,
  requestWorkoutReview,
} from "../services/workoutReviews.ts";
import { reviewStatuses } from "../store/schema.ts";
import { REVIEW_NOTE_MAX, REVIEWS_PAGE_MAX } from "../store/workoutReviewsRepository.ts";
import { pageOptionsOf, pageQueryFields, readPage } from "./pageCursor.ts";
import { parseJsonBody, parseParams, parseQuery } from "./parseRequest.ts";

export type ReviewRouterParameters = ReviewContext;

export const idParams = z.object({
  id: z.uuid("must be a workout or review id (a UUID)"),
});

export const requestBody = z.strictObject({
  note: z
    .string({ error: "is required (a string)" })
    .trim()
    .min(1, "must not be empty")
    .max(REVIEW_NOTE_MAX, `must be at most ${REVIEW_NOTE_MAX} characters`),
});

export const decisionBody = z.strictObject({
  decision: z.enum(["accept", "reject"], {
    error: 'must be "accept" or "reject"',
  }),
  note: z
    .string({ error: "must be a string" })
    .trim()
    .max(REVIEW_NOTE_MAX, `must be at most ${REVIEW_NOTE_MAX} characters`)
    .default(""),
});

export const listQuery = z.strictObject({
  status: z
    .enum(reviewStatuses, {
      error: `must be one of ${reviewStatuses.join(", ")}`,
    })
    .optional(),
  ...pageQueryFields(REVIEWS_PAGE_MAX),
});

export function reviewRouter(context: ReviewRouterParameters): Router {
  const router = Router();
  /** Operators only, before anything else is read: a non-operator learns nothing about the input's shape. */
  const requireOperator: RequestHandler = (req, _res, next) => {
    if (!context.operators.has(sessionOf(req).address.toLowerCase())) {
      next(
        new ForbiddenError({
          code: "not_operator",
          message: "Only review operators may see or decide reviews.",
        }),
      );
      return;
    }
    next();
  };

  router.post("/workouts/:id/review", requireSession, async (req, res) => {
    const { address } = sessionOf(req);
    const { id } = parseParams(req, idParams);
    const { note } = parseJsonBody(req, requestBody);
    const review = await requestWorkoutReview(context, {
      owner: address,
      workoutId: id,
      note,
    });
    res.status(201).json({ review });
  });

  router.get("/review", requireSession, requireOperator, async (req, res) => {
    const { status, ...page } = parseQuery(req, listQuery);
    const filter = { operator: sessionOf(req).address, ...(status !== undefined ? { status } : {}) };
    res.json(await readPage(() => listWorkoutReviews(context, { ...filter, ...pageOptionsOf(page) })));
  });

  router.post("/review/:id", requireSession, requireOperator, async (req, res) => {
    const { address } = sessionOf(req);
    const { id } = parseParams(req, idParams);
    const { decision, note } = parseJsonBody(req, decisionBody);
    res.json(
      await decideWorkoutReview(context, {
        operator: address,
        reviewId: id,
        decision,
        note,
      }),
    );
  });

  return router;
}
