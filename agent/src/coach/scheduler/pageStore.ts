/**
 * The store as one page of the scheduler's pass sees it (issue 18): what each commitment's evaluation would
 * read for itself is read once for the whole page, and answered from memory (the same rows, in the same order):
 * - `workouts.acceptedOverlapping`: the accepted workouts of every owner whose running milestone is open;
 * - `coachPreferences.get`: their coach preferences;
 * - `nudges.find`: the coach interventions already sent in the page's windows (deployNudge's first check; its
 *   reservation checks again under the owner's lock);
 * - `challenges.listByParticipant`: the challenge-pool rows of each (beneficiary, owner) pair.
 * An owner, range or pair the page did not cover falls back to the store. Memory stays bounded by the page:
 * a page's rows are dropped before the next page is read.
 */
import type { ParticipantRecord } from "../../store/challengesRepository.ts";
import type { CoachPreferencesRecord } from "../../store/coachPreferencesRepository.ts";
import type { CommitmentRecord } from "../../store/commitmentsRepository.ts";
import type { NudgeRecord } from "../../store/nudgesRepository.ts";
import type { Store } from "../../store/store.ts";
import type { WorkoutRecord } from "../../store/workoutsRepository.ts";
import { currentWindow } from "../commitmentProgress.ts";

/** Most coach interventions a page reads; with more, `nudges.find` asks the store. */
const SENT_ROWS_MAX = 10_000;

interface PageScope {
  owners: Set<string>;
  /** `beneficiary|owner` of the open commitments. */
  pairs: Set<string>;
  fromMs: number;
  toMs: number;
}

/** The owners, pairs and time range of the page's commitments whose running milestone is open. */
function scopeOf(page: readonly CommitmentRecord[], nowMs: number): PageScope {
  const scope: PageScope = {
    owners: new Set(),
    pairs: new Set(),
    fromMs: Number.POSITIVE_INFINITY,
    toMs: Number.NEGATIVE_INFINITY,
  };
  for (const commitment of page) {
    const window = currentWindow(commitment, nowMs);
    if (window === null || commitment.closed) continue;
    if ((commitment.milestoneStates[window.index] ?? "Open") !== "Open") continue;
    const owner = commitment.owner.toLowerCase();
    scope.owners.add(owner);
    scope.pairs.add(`${commitment.beneficiary.toLowerCase()}|${owner}`);
    scope.fromMs = Math.min(scope.fromMs, window.startMs);
    scope.toMs = Math.max(scope.toMs, window.endMs);
  }
  return scope;
}

function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [row]);
    else list.push(row);
  }
  return groups;
}

/** The page's participant rows by `pool|participant`, or null when the chain is unknown. */
async function participantsByPair(
  store: Store,
  chainId: number | null,
  pairs: Set<string>,
): Promise<Map<string, ParticipantRecord[]> | null> {
  if (chainId === null) return null;
  const rows = await store.coachPass.participantsOf(
    chainId,
    [...pairs].map((pair) => {
      const [pool = "", participant = ""] = pair.split("|");
      return { pool, participant };
    }),
  );
  return groupBy(rows, (row) => `${row.pool.toLowerCase()}|${row.participant.toLowerCase()}`);
}

export async function pageStore(
  store: Store,
  page: readonly CommitmentRecord[],
  nowMs: number,
  chainId: number | null,
): Promise<Store> {
  const { owners, pairs, fromMs, toMs } = scopeOf(page, nowMs);
  if (owners.size === 0) return store;
  const ownerList = [...owners];
  const workoutsByOwner = groupBy(
    await store.workouts.acceptedOverlappingOwners(ownerList, new Date(fromMs), new Date(toMs)),
    (workout: WorkoutRecord) => workout.owner.toLowerCase(),
  );
  const preferences: Map<string, CoachPreferencesRecord> = await store.coachPreferences.getMany(ownerList);
  // The interventions already sent in these windows: a second pass finds its duplicates without a transaction.
  const sentRows = await store.nudges.coachInterventionsSince(ownerList, new Date(fromMs));
  const sent = new Map<string, NudgeRecord>(
    sentRows.map((nudge) => [`${nudge.owner.toLowerCase()}|${nudge.channel}|${nudge.dedupeKey}`, nudge]),
  );
  const sentComplete = sentRows.length < SENT_ROWS_MAX;
  const participants = await participantsByPair(store, chainId, pairs);
  return {
    ...store,
    workouts: {
      ...store.workouts,
      acceptedOverlapping: async (owner, start, end) => {
        const key = owner.toLowerCase();
        if (!owners.has(key) || start.getTime() < fromMs || end.getTime() > toMs) {
          return store.workouts.acceptedOverlapping(owner, start, end);
        }
        return (workoutsByOwner.get(key) ?? []).filter(
          (workout) => workout.startTime < end && workout.endTime > start,
        );
      },
    },
    nudges: {
      ...store.nudges,
      find: async (owner, channel, dedupeKey) => {
        const key = owner.toLowerCase();
        if (!sentComplete || !owners.has(key) || !dedupeKey.startsWith("coach:")) {
          return store.nudges.find(owner, channel, dedupeKey);
        }
        // An intervention of a running window was created within it (after the page's earliest window start),
        // so absent here means not sent when the page was read; deployNudge checks again under the owner's lock.
        return sent.get(`${key}|${channel}|${dedupeKey}`) ?? null;
      },
    },
    coachPreferences: {
      ...store.coachPreferences,
      get: async (owner) => {
        const key = owner.toLowerCase();
        if (!owners.has(key)) return store.coachPreferences.get(owner);
        return preferences.get(key) ?? null;
      },
    },
    challenges: {
      ...store.challenges,
      listByParticipant: async (query) => {
        const pair = `${query.pool.toLowerCase()}|${query.participant.toLowerCase()}`;
        if (participants === null || query.chainId !== chainId || !pairs.has(pair)) {
          return store.challenges.listByParticipant(query);
        }
        return (participants.get(pair) ?? []).slice(0, Math.max(0, query.limit));
      },
    },
  };
}
