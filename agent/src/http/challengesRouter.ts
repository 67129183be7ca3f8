/**
 * The challenge routes (v2), mounted at `/api/challenges`, public (a session only adds `you`), served from the
 * challenge indexer's cache:
 * - `GET /?limit&cursor` → `{ challenges: [Challenge], nextCursor }`, ascending id, at most 100 a page;
 * - `GET /:id?limit&cursor` → `Challenge` plus `winningsEach`, one page of `participants` (ascending address,
 *   each with its pool `status` and `standing`: `on_track`, `behind`, `finished` or `out`),
 *   `nextParticipantCursor`, and `you` (the signed-in caller's participation, or null).
 * `:id` is a decimal uint256 (400 naming `params.id` otherwise; 404 `challenge_not_found` when the pool has no
 * such challenge). Without a configured pool every route answers 503 `challenge_pool_not_configured`.
 */
import { type Request, Router } from "express";
import type { Address } from "viem";
import { z } from "zod";
import { optionalSessionOf } from "../auth/session.ts";
import type { Clock } from "../clock.ts";
import { DependencyError, NotFoundError } from "../errors.ts";
import type { ChainTarget } from "../services/serviceContext.ts";
import type { ChallengeRecord, ParticipantRecord } from "../store/challengesRepository.ts";
import type { Store } from "../store/store.ts";
import { addressSchema } from "../store/values.ts";
import { parseParams, parseQuery } from "./parseRequest.ts";

export interface ChallengesRouterParameters {
  store: Store;
  clock: Clock;
  /** The vault the participants' commitments live in (for their standing); undefined → standing from the pool only. */
  chain: ChainTarget | undefined;
  /** The pool served; undefined → every route answers 503. */
  pool: { chainId: number; address: Address } | undefined;
}

export const CHALLENGES_PAGE_DEFAULT = 20;
export const CHALLENGES_PAGE_MAX = 100;

const MAX_UINT256 = 2n ** 256n - 1n;
const UINT256_MESSAGE = "must be a decimal uint256 (digits, no leading zeros)";
const uint256Param = z
  .string()
  .regex(/^(0|[1-9]\d{0,77})$/, UINT256_MESSAGE)
  .transform((raw) => BigInt(raw))
  .refine((id) => id <= MAX_UINT256, UINT256_MESSAGE);

const limitParam = z
  .string()
  .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${CHALLENGES_PAGE_MAX}`)
  .transform(Number)
  .refine(
    (n) => n >= 1 && n <= CHALLENGES_PAGE_MAX,
    `must be a whole number from 1 to ${CHALLENGES_PAGE_MAX}`,
  )
  .optional();

export const listQuery = z.strictObject({ limit: limitParam, cursor: uint256Param.optional() });
export const detailQuery = z.strictObject({ limit: limitParam, cursor: addressSchema.optional() });
export const idParams = z.object({ id: uint256Param });

export type Standing = "on_track" | "behind" | "finished" | "out";
export type ChallengePhase = "open" | "running" | "settling" | "closed";

function phaseOf(challenge: ChallengeRecord, nowSec: number): ChallengePhase {
  if (nowSec < challenge.joinDeadline) return "open";
  if (nowSec < challenge.start + challenge.milestones * challenge.period) return "running";
  return challenge.settled < challenge.participants ? "settling" : "closed";
}

function describeChallenge(challenge: ChallengeRecord, nowSec: number) {
  return {
    id: challenge.challengeId.toString(),
    creator: challenge.creator,
    token: challenge.token,
    stake: challenge.stake.toString(),
    start: challenge.start,
    period: challenge.period,
    milestones: challenge.milestones,
    grace: challenge.grace,
    rulesHash: challenge.rulesHash,
    joinDeadline: challenge.joinDeadline,
    maxParticipants: challenge.maxParticipants,
    feeBps: challenge.feeBps,
    feeRecipient: challenge.feeRecipient,
    fallbackBeneficiary: challenge.fallbackBeneficiary,
    participantCount: challenge.participants,
    settledCount: challenge.settled,
    finisherCount: challenge.finishers,
    pot: challenge.pot.toString(),
    phase: phaseOf(challenge, nowSec),
  };
}

export function challengesRouter(parameters: ChallengesRouterParameters): Router {
  const { store, clock, chain } = parameters;
  const router = Router();

  const poolOf = () => {
    if (parameters.pool === undefined) {
      throw new DependencyError({
        code: "challenge_pool_not_configured",
        message: "This agent follows no challenge pool (CHALLENGE_POOL_ADDRESS is not set).",
      });
    }
    return { chainId: parameters.pool.chainId, pool: parameters.pool.address };
  };
  const nowSec = () => Math.floor(clock.now() / 1000);

  /** Where a participant stands: the pool's status once settled, else their vault commitment's milestones. */
  const standingOf = async (challenge: ChallengeRecord, participant: ParticipantRecord, now: number) => {
    if (participant.status === "finished" || participant.status === "claimed") {
      return { standing: "finished" as Standing, released: challenge.milestones };
    }
    if (participant.status === "out") return { standing: "out" as Standing, released: null };
    const commitment =
      chain === undefined
        ? null
        : await store.commitments.get({
            chainId: chain.chainId,
            vault: chain.vault,
            commitmentId: participant.commitmentId,
          });
    if (commitment === null) return { standing: "on_track" as Standing, released: null };
    const states = commitment.milestoneStates;
    const released = states.filter((state) => state === "Released").length;
    if (states.some((state) => state === "Slashed" || state === "Refunded")) {
      return { standing: "out" as Standing, released };
    }
    const ended =
      now < commitment.start
        ? 0
        : Math.min(commitment.milestones, Math.floor((now - commitment.start) / commitment.period));
    const behind = states.slice(0, ended).some((state) => state !== "Released");
    return { standing: (behind ? "behind" : "on_track") as Standing, released };
  };

  const describeParticipant = async (
    challenge: ChallengeRecord,
    participant: ParticipantRecord,
    now: number,
  ) => {
    const { standing, released } = await standingOf(challenge, participant, now);
    return {
      address: participant.participant,
      commitmentId: participant.commitmentId.toString(),
      status: participant.status,
      standing,
      milestonesReleased: released,
      /** Winnings still to claim (`winningsOf`): `winningsEach` for a finisher once everyone is settled, 0 once claimed. */
      claimable: participant.winnings.toString(),
    };
  };

  router.get("/", async (req, res) => {
    const query = parseQuery(req, listQuery);
    const key = poolOf();
    const limit = query.limit ?? CHALLENGES_PAGE_DEFAULT;
    const rows = await store.challenges.list({
      ...key,
      limit: limit + 1,
      ...(query.cursor !== undefined ? { afterId: query.cursor } : {}),
    });
    const page = rows.slice(0, limit);
    const now = nowSec();
    res.json({
      challenges: page.map((row) => describeChallenge(row, now)),
      nextCursor: rows.length > limit ? (page.at(-1)?.challengeId.toString() ?? null) : null,
    });
  });

  router.get("/:id", async (req: Request, res) => {
    const { id } = parseParams(req, idParams);
    const query = parseQuery(req, detailQuery);
    const key = poolOf();
    const challenge = await store.challenges.get({ ...key, challengeId: id });
    if (challenge === null) {
      throw new NotFoundError({
        code: "challenge_not_found",
        message: `There is no challenge ${id} in this pool.`,
        details: { challengeId: id.toString() },
      });
    }
    const limit = query.limit ?? CHALLENGES_PAGE_DEFAULT;
    const rows = await store.challenges.listParticipants({
      ...key,
      challengeId: id,
      limit: limit + 1,
      ...(query.cursor !== undefined ? { afterParticipant: query.cursor } : {}),
    });
    const page = rows.slice(0, limit);
    const now = nowSec();
    const participants = [];
    for (const row of page) participants.push(await describeParticipant(challenge, row, now));
    const session = optionalSessionOf(req);
    const mine =
      session === null
        ? null
        : await store.challenges.getParticipant({ ...key, challengeId: id, participant: session.address });
    const closed = challenge.participants > 0 && challenge.settled === challenge.participants;
    res.json({
      ...describeChallenge(challenge, now),
      winningsEach:
        closed && challenge.finishers > 0
          ? (
              (challenge.pot * BigInt(10_000 - challenge.feeBps)) /
              10_000n /
              BigInt(challenge.finishers)
            ).toString()
          : null,
      participants,
      nextParticipantCursor: rows.length > limit ? (page.at(-1)?.participant ?? null) : null,
      you: mine === null ? null : await describeParticipant(challenge, mine, now),
    });
  });

  return router;
}
