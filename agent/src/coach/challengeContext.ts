/**
 * What the coach knows about a commitment that belongs to a challenge pool (issue 14), from the challenge
 * indexer's cache only (no chain call): the challenge's parameters, where everyone stands (one aggregate query,
 * `challenges.tally`), the pot so far, the owner's own standing and when winnings can be claimed.
 *
 * A pool participant's commitment has the pool as its beneficiary, so the pool is found from the commitment
 * itself: `challenges.listByParticipant({ pool: beneficiary, participant: owner })` matches the commitment id, and
 * finds nothing for a solo commitment (the cache holds only the pool this agent follows).
 *
 * The pot so far = the pool's pot (shares of settled participants) + the Slashed shares of participants not yet
 * settled (the share of milestone i is `stake / milestones`, the last one takes the remainder), i.e. what the
 * pot will hold once everyone is settled if nothing else is missed.
 */

import { LruMap } from "../lruMap.ts";
import type { ChallengeRecord, ChallengeTally, ParticipantRecord } from "../store/challengesRepository.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { CoachDependencies } from "./coachDependencies.ts";
import { milestoneShare } from "./commitmentProgress.ts";
import { formatAmount } from "./tokenAmounts.ts";
import { formatLocal } from "./zonedTime.ts";

export type ChallengeStanding = "on_track" | "behind" | "finished" | "out";
export type ChallengePhase = "open" | "running" | "settling" | "closed";

export interface ChallengeFacts {
  challengeId: string;
  /** "Challenge #3" (challenges have no name on chain). */
  name: string;
  commitmentId: string;
  /** Each participant's stake, e.g. "0.3 ETH". */
  stake: string;
  milestones: number;
  /** Length of one milestone window in days (may be fractional). */
  periodDays: number;
  feePercent: number;
  phase: ChallengePhase;
  participants: number;
  onTrack: number;
  behind: number;
  finished: number;
  out: number;
  /** Not out: on track + behind + finished. */
  stillIn: number;
  /** The pot so far (see the module comment), e.g. "0.3 ETH". */
  pot: string;
  /** The owner's standing. */
  you: ChallengeStanding;
  /** The last milestone's claim deadline: winnings can be claimed after it, once every participant is settled. */
  winningsFrom: string;
  winningsFromLocal: string;
  /** What the owner may claim now (`winningsOf`), or null when nothing. */
  claimable: string | null;
  /** The owner's winnings if everyone still in finishes and nothing more is missed; null when out or none. */
  shareIfStillInFinish: string | null;
}

/** Tallies are cached this long per challenge (one aggregate query per challenge per coach pass, not per nudge). */
const TALLY_TTL_MS = 60_000;
const TALLY_CACHE_SIZE = 256;
const tallyCaches = new WeakMap<object, LruMap<string, { atMs: number; tally: ChallengeTally }>>();

async function cachedTally(
  deps: Pick<CoachDependencies, "store" | "clock">,
  key: { chainId: number; pool: string; challengeId: bigint; vault: string; endedMilestones: number },
): Promise<ChallengeTally> {
  // Keyed by the repository's tally function, not the store or the repository: the scheduler pass gives each
  // page its own copy of the store, and of `challenges` (its pageStore answers `listByParticipant`), over the
  // same tally.
  let cache = tallyCaches.get(deps.store.challenges.tally);
  if (cache === undefined) {
    cache = new LruMap(TALLY_CACHE_SIZE);
    tallyCaches.set(deps.store.challenges.tally, cache);
  }
  const id = `${key.chainId}:${key.pool.toLowerCase()}:${key.challengeId}:${key.endedMilestones}`;
  const now = deps.clock.now();
  const hit = cache.get(id);
  if (hit !== undefined && now - hit.atMs >= 0 && now - hit.atMs < TALLY_TTL_MS) return hit.tally;
  const tally = await deps.store.challenges.tally(key);
  cache.set(id, { atMs: now, tally });
  return tally;
}

export function phaseOf(challenge: ChallengeRecord, nowSec: number): ChallengePhase {
  if (nowSec < challenge.joinDeadline) return "open";
  if (nowSec < challenge.start + challenge.milestones * challenge.period) return "running";
  return challenge.settled < challenge.participants ? "settling" : "closed";
}

/** Milestone windows that have ended at `nowSec` (0..milestones). */
function endedMilestones(challenge: ChallengeRecord, nowSec: number): number {
  if (nowSec < challenge.start) return 0;
  return Math.min(challenge.milestones, Math.floor((nowSec - challenge.start) / challenge.period));
}

/** The owner's standing: the pool's status once settled, else their commitment's milestones (as the API says). */
export function standingOf(
  participant: ParticipantRecord,
  commitment: CommitmentRecord,
  ended: number,
): ChallengeStanding {
  if (participant.status === "finished" || participant.status === "claimed") return "finished";
  if (participant.status === "out") return "out";
  const states = commitment.milestoneStates;
  if (states.some((state) => state === "Slashed" || state === "Refunded")) return "out";
  if (states.every((state) => state === "Released")) return "finished";
  return states.slice(0, ended).some((state) => state !== "Released") ? "behind" : "on_track";
}

/** The pool participant rows of `owner` matching `commitments`, keyed by commitment id; one query per beneficiary. */
async function participantsFor(
  deps: Pick<CoachDependencies, "store" | "chain">,
  owner: string,
  commitments: readonly CommitmentRecord[],
): Promise<Map<bigint, ParticipantRecord>> {
  const found = new Map<bigint, ParticipantRecord>();
  if (deps.chain === null) return found;
  const beneficiaries = [...new Set(commitments.map((c) => c.beneficiary.toLowerCase()))].slice(0, 20);
  for (const pool of beneficiaries) {
    const rows = await deps.store.challenges.listByParticipant({
      chainId: deps.chain.chainId,
      pool,
      participant: owner,
      limit: 100,
    });
    for (const row of rows) found.set(row.commitmentId, row);
  }
  return found;
}

/**
 * The challenge facts of each of `commitments` (the owner's) that belongs to a challenge pool, in their order;
 * commitments of no challenge are left out. At most 20.
 */
export async function loadChallengeFacts(
  deps: Pick<CoachDependencies, "store" | "clock" | "chain" | "tokens">,
  owner: string,
  commitments: readonly CommitmentRecord[],
  timeZone: string,
): Promise<ChallengeFacts[]> {
  if (deps.chain === null || commitments.length === 0) return [];
  const chosen = commitments.slice(0, 20);
  const participants = await participantsFor(deps, owner, chosen);
  const facts: ChallengeFacts[] = [];
  const nowSec = Math.floor(deps.clock.now() / 1000);
  for (const commitment of chosen) {
    const participant = participants.get(commitment.commitmentId);
    if (participant === undefined) continue;
    const challenge = await deps.store.challenges.get({
      chainId: participant.chainId,
      pool: participant.pool,
      challengeId: participant.challengeId,
    });
    if (challenge === null) continue;
    const ended = endedMilestones(challenge, nowSec);
    const tally = await cachedTally(deps, {
      chainId: challenge.chainId,
      pool: challenge.pool,
      challengeId: challenge.challengeId,
      vault: deps.chain.vault,
      endedMilestones: ended,
    });
    const token = deps.tokens(challenge.token);
    const share = milestoneShare(challenge.stake, challenge.milestones, 0);
    const lastShare = milestoneShare(challenge.stake, challenge.milestones, challenge.milestones - 1);
    const pot =
      challenge.pot + BigInt(tally.unsettledSlashed) * share + BigInt(tally.unsettledSlashedLast) * lastShare;
    const you = standingOf(participant, commitment, ended);
    const stillIn = tally.onTrack + tally.behind + tally.finished;
    const winningsFromMs =
      (challenge.start + challenge.milestones * challenge.period + challenge.grace) * 1000;
    const shareIfStillInFinish =
      you === "out" || stillIn === 0 || pot === 0n
        ? null
        : formatAmount((pot * BigInt(10_000 - challenge.feeBps)) / 10_000n / BigInt(stillIn), token);
    facts.push({
      challengeId: challenge.challengeId.toString(),
      name: `Challenge #${challenge.challengeId}`,
      commitmentId: commitment.commitmentId.toString(),
      stake: formatAmount(challenge.stake, token),
      milestones: challenge.milestones,
      periodDays: Math.round((challenge.period / 86_400) * 100) / 100,
      feePercent: challenge.feeBps / 100,
      phase: phaseOf(challenge, nowSec),
      participants: tally.participants,
      onTrack: tally.onTrack,
      behind: tally.behind,
      finished: tally.finished,
      out: tally.out,
      stillIn,
      pot: formatAmount(pot, token),
      you,
      winningsFrom: new Date(winningsFromMs).toISOString(),
      winningsFromLocal: formatLocal(winningsFromMs, timeZone),
      claimable: participant.winnings > 0n ? formatAmount(participant.winnings, token) : null,
      shareIfStillInFinish,
    });
  }
  return facts;
}

/** "the pot is 10 USDC so far", "the pot is 30 USDC" once closed, "nobody has missed a week yet" while empty. */
function potSoFar(facts: ChallengeFacts): string {
  if (/^0 /.test(facts.pot)) return "nobody has missed a week yet";
  return `the pot is ${facts.pot}${facts.phase === "closed" ? "" : " so far"}`;
}

/**
 * One sentence about the challenge for a nudge or a reply, every number from `facts`:
 * "Challenge #1: 3 of 4 still in, the pot is 0.1 ETH so far." plus what the owner can do about it.
 */
export function describeChallenge(facts: ChallengeFacts): string {
  const head = `${facts.name}: ${facts.stillIn} of ${facts.participants} still in, ${potSoFar(facts)}.`;
  if (facts.claimable !== null) return `${head} Your winnings of ${facts.claimable} are ready to claim.`;
  switch (facts.you) {
    case "out":
      return `${head} You missed a week, so your missed share went to the pot; you still get back every week you complete.`;
    case "finished":
      return facts.phase === "closed"
        ? `${head} You finished.`
        : `${head} You finished: claim your winnings after ${facts.winningsFromLocal}, once everyone is settled.`;
    case "behind":
    case "on_track":
      return facts.shareIfStillInFinish === null
        ? `${head} Finish every week to share the pot after ${facts.winningsFromLocal}.`
        : `${head} Finish every week to share it: about ${facts.shareIfStillInFinish} each if the ${facts.stillIn} still in all finish, claimable after ${facts.winningsFromLocal}.`;
  }
}

/** The sentence a behind-pace nudge gains for a challenge-pool participant (the pot and the others). */
export function challengeNudgeNote(facts: ChallengeFacts): string {
  const head = `${facts.name}: ${facts.stillIn} of ${facts.participants} still in, ${potSoFar(facts)}`;
  return facts.you === "out"
    ? `${head}; this week's share still comes back to you if you meet it.`
    : `${head}; finish every week to share it.`;
}
