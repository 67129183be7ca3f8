/**
 * Human review of rejected workouts (migration 0004, `workout_reviews`): one review per workout, requested by its
 * owner with a note, decided once by an operator. `workout_id` is unique, so a second request is ConflictError
 * `review_exists`; a decision applies only to a pending review (`decide` returns null otherwise), so two operators
 * cannot both decide.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ConflictError } from "../errors.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull, onlyRow, parsedMethod } from "./repositoryMethods.ts";
import { type ReviewStatus, reviewStatuses, workoutReviews } from "./schema.ts";
import { timeKeyset } from "./timeKeyset.ts";
import { addressSchema, parseInput, toAddress, withOwnerAddress } from "./values.ts";

/** Longest note of a request or a decision, characters. */
export const REVIEW_NOTE_MAX = 2000;

export interface WorkoutReviewRecord {
  id: string;
  workoutId: string;
  owner: Address;
  note: string;
  status: ReviewStatus;
  requestedAt: Date;
  decidedBy: Address | null;
  decisionNote: string | null;
  decidedAt: Date | null;
}

export interface WorkoutReviewsPage {
  /** Oldest request first. */
  items: WorkoutReviewRecord[];
  nextCursor: string | null;
}

export interface WorkoutReviewsRepository {
  /** Records a pending review; a workout already reviewed (or under review) → ConflictError `review_exists`. */
  request(parameters: { workoutId: string; owner: string; note: string }): Promise<WorkoutReviewRecord>;
  getById(id: string): Promise<WorkoutReviewRecord | null>;
  getByWorkoutId(workoutId: string): Promise<WorkoutReviewRecord | null>;
  /** The review status of each of these workouts that has a review (at most REVIEWS_PAGE_MAX ids). */
  statusesOf(workoutIds: readonly string[]): Promise<Map<string, ReviewStatus>>;
  /** Reviews with this status, oldest request first, paged. */
  list(parameters: { status: ReviewStatus; limit?: number; cursor?: string }): Promise<WorkoutReviewsPage>;
  /** Decides a pending review; null when it is not pending (decided meanwhile) or does not exist. */
  decide(
    id: string,
    parameters: {
      decision: "accepted" | "rejected";
      operator: string;
      note: string;
    },
  ): Promise<WorkoutReviewRecord | null>;
}

const uuidSchema = z.uuid();
const noteSchema = z.string().max(REVIEW_NOTE_MAX);
type Row = typeof workoutReviews.$inferSelect;

function toRecord(row: Row): WorkoutReviewRecord {
  return { ...withOwnerAddress(row), decidedBy: row.decidedBy === null ? null : toAddress(row.decidedBy) };
}

const pages = timeKeyset({ table: workoutReviews, field: "requestedAt", order: "asc", map: toRecord });
/** The review queue's pages: 50 reviews unless asked, never more than 200. */
export const REVIEWS_PAGE_DEFAULT = 50;
export const REVIEWS_PAGE_MAX = 200;
const PAGE_BOUNDS = { fallback: REVIEWS_PAGE_DEFAULT, max: REVIEWS_PAGE_MAX };

export function createWorkoutReviewsRepository(db: DatabaseExecutor, clock: Clock): WorkoutReviewsRepository {
  const byColumn = async (column: typeof workoutReviews.id | typeof workoutReviews.workoutId, id: string) => {
    if (!uuidSchema.safeParse(id).success) return null;
    return withDatabaseErrors("workout review lookup", async () => {
      return firstOrNull(
        await db.select().from(workoutReviews).where(eq(column, id.toLowerCase())).limit(1),
        toRecord,
      );
    });
  };
  return {
    request: parsedMethod(
      z.object({
        workoutId: uuidSchema,
        owner: addressSchema,
        note: noteSchema,
      }),
      "review request",
      "workout review request",
      async (input) => {
        const rows = await db
          .insert(workoutReviews)
          .values({
            workoutId: input.workoutId.toLowerCase(),
            owner: input.owner,
            note: input.note,
            status: "pending",
            requestedAt: new Date(clock.now()),
          })
          .onConflictDoNothing({ target: workoutReviews.workoutId })
          .returning();
        const exists = () =>
          new ConflictError({
            code: "review_exists",
            message: "This workout has already been sent for review.",
            details: { workoutId: input.workoutId },
          });
        return onlyRow(rows, toRecord, exists);
      },
    ),

    getById: (id) => byColumn(workoutReviews.id, id),
    getByWorkoutId: (workoutId) => byColumn(workoutReviews.workoutId, workoutId),

    statusesOf: async (workoutIds) => {
      const ids = parseInput(z.array(uuidSchema).max(REVIEWS_PAGE_MAX), workoutIds, "workout ids");
      if (ids.length === 0) return new Map();
      return withDatabaseErrors("workout review statuses", async () => {
        const rows = await db
          .select({ workoutId: workoutReviews.workoutId, status: workoutReviews.status })
          .from(workoutReviews)
          .where(
            inArray(
              workoutReviews.workoutId,
              ids.map((id) => id.toLowerCase()),
            ),
          );
        return new Map(rows.map((row) => [row.workoutId, row.status]));
      });
    },

    list: async (parameters) => {
      const status = parseInput(z.enum(reviewStatuses), parameters.status, "review status");
      return pages.read(
        db,
        eq(workoutReviews.status, status),
        parameters,
        PAGE_BOUNDS,
        "workout review list",
      );
    },

    decide: async (id, parameters) => {
      if (!uuidSchema.safeParse(id).success) return null;
      const input = parseInput(
        z.object({
          decision: z.enum(["accepted", "rejected"]),
          operator: addressSchema,
          note: noteSchema,
        }),
        parameters,
        "review decision",
      );
      return withDatabaseErrors("workout review decision", async () => {
        const rows = await db
          .update(workoutReviews)
          .set({
            status: input.decision,
            decidedBy: input.operator,
            decisionNote: input.note,
            decidedAt: new Date(clock.now()),
          })
          .where(and(eq(workoutReviews.id, id.toLowerCase()), eq(workoutReviews.status, "pending")))
          .returning();
        return firstOrNull(rows, toRecord);
      });
    },
  };
}
