/**
 * `GET /api/workouts`: a page of the owner's workouts, newest first, each with its stored verdict and what it
 * counts for now (counting is evaluated at read time against the owner's current commitments, so a workout
 * uploaded before its commitment was indexed still shows where it counts), and the status of its human review
 * when its owner asked for one.
 */
import type { ListWorkoutsParameters } from "../store/workoutsRepository.ts";
import { loadOwnerCommitments } from "./ownerCommitments.ts";
import type { ServiceContext } from "./serviceContext.ts";
import { type WorkoutView, workoutViewOf } from "./workoutView.ts";

export interface ListWorkoutsServiceParameters extends ListWorkoutsParameters {
  owner: string;
}

export interface ListWorkoutsReturnType {
  workouts: WorkoutView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export async function listWorkouts(
  context: Pick<ServiceContext, "store" | "chain">,
  { owner, limit, cursor }: ListWorkoutsServiceParameters,
): Promise<ListWorkoutsReturnType> {
  const page = await context.store.workouts.listByOwner(owner, {
    ...(limit !== undefined ? { limit } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
  });
  const commitments = page.items.some((w) => w.verdict.status === "accepted")
    ? await loadOwnerCommitments({ repositories: context.store, chain: context.chain, owner })
    : [];
  const reviewed = await context.store.workoutReviews.statusesOf(page.items.map((w) => w.id));
  return {
    workouts: page.items.map((record) => {
      const view = workoutViewOf({ record, commitments });
      const status = reviewed.get(record.id);
      return status === undefined ? view : { ...view, review: { status } };
    }),
    nextCursor: page.nextCursor,
  };
}
