/**
 * `GET /api/workouts`: a page of the owner's workouts, newest first, each with its stored verdict and what it
 * counts for now (counting is evaluated at read time against the owner's current commitments, so a workout
 * uploaded before its commitment was indexed still shows where it counts).
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
  return {
    workouts: page.items.map((record) => workoutViewOf({ record, commitments })),
    nextCursor: page.nextCursor,
  };
}
