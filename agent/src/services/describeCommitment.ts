/**
 * A commitment as `GET /api/commitments[/:id]` shows it to its owner: the on-chain terms (amounts as decimal
 * strings, times as ISO 8601), the rules document (or null and `rulesKnown: false`), where the stake stands, and
 * each milestone with its window, claim deadline (pause-aware when a `VaultReader` is given), state, share,
 * progress (`null` while the rules are unknown) and whether it can be claimed right now.
 *
 * Vault v2: a milestone may be `Appealed` (the owner posted a bond; no slash until the arbiter rules, a late quorum
 * claims it, or the appeal expires): `appeal` shows when, the bond, and the earliest expiry. `appealable` says
 * the owner may appeal now (Open, window ended, claim deadline not passed) and `appealBond` what it costs.
 * `exitAvailable` is the vault's `exitAvailable()` (paused 30 of the last 31 days: anyone may `exit`).
 */
import { appealBondOf as appealBondOfShare } from "@resolution-autopilot/vocabulary";
import type { Address, Hex } from "viem";
import type { VaultReader } from "../chain/ports.ts";
import type { Logger } from "../logger.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { MilestoneState } from "../store/schema.ts";
import type { Repositories } from "../store/store.ts";
import { claimDeadlinesOf } from "./claimDeadlines.ts";
import { createRulesLookup, type FrozenRulesDocument, type RulesLookup } from "./commitmentRules.ts";
import { type CountedWorkoutFacts, type MilestoneCount, milestoneCountsOf } from "./milestoneProgress.ts";
import {
  appealEarliestExpiryOf,
  commitmentSpanOf,
  commitmentTotalsOf,
  milestoneShareOf,
  milestoneStateOf,
  milestoneWindowOf,
} from "./milestoneSchedule.ts";
import type { ServiceContext } from "./serviceContext.ts";
import { countableOf, isoTime } from "./workoutView.ts";

export interface MilestoneView {
  index: number;
  windowStart: string;
  windowEnd: string;
  /** The first instant at which a claim is refused (window end + grace, extended by pauses). */
  claimDeadline: string;
  state: MilestoneState;
  /** This milestone's share of the stake, decimal. */
  amount: string;
  progress: { done: number; required: number; met: boolean; workouts: string[] } | null;
  /**
   * An attestation can be issued now: requirement met and either Open (window opened, deadline not passed) or
   * Appealed (a late quorum settles an appeal).
   */
  claimable: boolean;
  /** The owner may `appeal` now: Open, the window has ended, the claim deadline has not passed. */
  appealable: boolean;
  /** What an appeal of this milestone costs (`appealBond`: a tenth of the share, at least 1), decimal. */
  appealBond: string;
  /** The owner's appeal, once made (it stays after the ruling; `state` says how it ended). */
  appeal: {
    appealedAt: string;
    /** The bond posted, decimal. */
    bond: string;
    /** The earliest moment anyone may `expireAppeal` (14 days of unpaused time: a pause moves it later). */
    expiresAt: string;
  } | null;
}

export interface CommitmentView {
  id: string;
  owner: Address;
  token: Address;
  amount: string;
  /** When the first window opens. */
  start: string;
  /** Window length, seconds. */
  period: number;
  /** Seconds after a window closes during which it can still be claimed. */
  grace: number;
  beneficiary: Address;
  rulesHash: Hex;
  rules: FrozenRulesDocument | null;
  rulesKnown: boolean;
  closed: boolean;
  totals: { released: string; slashed: string; refunded: string; locked: string };
  /** The vault's `exitAvailable()`: anyone may `exit` this commitment now (false without a chain reader). */
  exitAvailable: boolean;
  milestones: MilestoneView[];
}

export interface DescribeCommitmentParameters {
  commitment: CommitmentRecord;
  reader?: VaultReader | undefined;
  /** Reuse a request's lookup; a fresh one otherwise. */
  rules?: RulesLookup;
  /**
   * Which Open milestones' deadlines are read from the chain: `all` (one commitment), or only those whose window
   * has opened, the ones a claim could use now (`opened`: lists, so a page costs a few reads per commitment).
   */
  chainDeadlines?: "all" | "opened";
  /** The vault's `exitAvailable()` when the caller read it already (a list reads it once); read here otherwise. */
  exitAvailable?: boolean;
  /**
   * The owner's accepted workouts over the commitment's windows when the caller read them with the commitment
   * (`CommitmentsRepository.getWithAcceptedWorkouts`); read here otherwise (when the rules are known).
   */
  workouts?: readonly CountedWorkoutFacts[] | undefined;
}

/** `exitAvailable()` from the reader; false without one, or (logged) when the read fails. */
export async function exitAvailableOf(reader: VaultReader | undefined, logger: Logger): Promise<boolean> {
  if (reader === undefined) return false;
  try {
    return await reader.exitAvailable();
  } catch (error) {
    logger.warn({ err: error }, "exitAvailable read failed; showing exit as unavailable");
    return false;
  }
}

export type DescribeCommitmentReturnType = CommitmentView;

export async function describeCommitment(
  context: Pick<ServiceContext, "store" | "clock" | "logger">,
  {
    commitment,
    reader,
    rules = createRulesLookup({ repositories: context.store }),
    chainDeadlines = "all",
    exitAvailable,
    workouts,
  }: DescribeCommitmentParameters,
): Promise<DescribeCommitmentReturnType> {
  const now = context.clock.now();
  const document = await rules(commitment.rulesHash);
  const counts =
    document === null
      ? undefined
      : milestoneCountsOf({
          commitment,
          rules: document,
          workouts: workouts ?? (await acceptedWorkoutsOf(context.store, commitment)),
        });
  const deadlines = await claimDeadlinesOf({
    commitment,
    reader,
    fallback: true,
    logger: context.logger,
    ...(chainDeadlines === "opened" ? { readIndices: openedIndices(commitment, now) } : {}),
  });
  const milestones: MilestoneView[] = [];
  for (let index = 0; index < commitment.milestones; index += 1) {
    milestones.push(
      milestoneViewOf(commitment, index, {
        now,
        deadlineMs: (deadlines.get(index) ?? 0) * 1000,
        count: counts?.[index],
      }),
    );
  }
  const totals = commitmentTotalsOf(commitment);
  return {
    id: commitment.commitmentId.toString(),
    owner: commitment.owner,
    token: commitment.token,
    amount: commitment.amount.toString(),
    start: isoTime(commitment.start * 1000),
    period: commitment.period,
    grace: commitment.grace,
    beneficiary: commitment.beneficiary,
    rulesHash: commitment.rulesHash,
    rules: document,
    rulesKnown: document !== null,
    closed: commitment.closed,
    totals: {
      released: totals.released.toString(),
      slashed: totals.slashed.toString(),
      refunded: totals.refunded.toString(),
      locked: totals.locked.toString(),
    },
    exitAvailable: !commitment.closed && (exitAvailable ?? (await exitAvailableOf(reader, context.logger))),
    milestones,
  };
}

/** The owner's accepted workouts over the commitment's windows, as the counts read them. */
async function acceptedWorkoutsOf(
  store: Pick<Repositories, "workouts">,
  commitment: CommitmentRecord,
): Promise<CountedWorkoutFacts[]> {
  const span = commitmentSpanOf(commitment);
  const records = await store.workouts.acceptedOverlapping(
    commitment.owner,
    new Date(span.startMs),
    new Date(span.endMs),
  );
  return records.map(countableOf);
}

/** The milestones whose window has opened by `now`. */
function openedIndices(commitment: CommitmentRecord, now: number): number[] {
  const opened: number[] = [];
  for (let index = 0; index < commitment.milestones; index += 1) {
    if (milestoneWindowOf(commitment, index).startMs <= now) opened.push(index);
  }
  return opened;
}

/** Milestone `index` as the view shows it. */
function milestoneViewOf(
  commitment: CommitmentRecord,
  index: number,
  { now, deadlineMs, count }: { now: number; deadlineMs: number; count: MilestoneCount | undefined },
): MilestoneView {
  const window = milestoneWindowOf(commitment, index);
  const state = milestoneStateOf(commitment, index);
  const share = milestoneShareOf(commitment, index);
  // The milestone's appeal (the last one listed, should it be listed twice).
  const appeal = commitment.appeals.findLast((a) => a.index === index);
  const deadlineOpen = now < deadlineMs;
  return {
    index,
    windowStart: isoTime(window.startMs),
    windowEnd: isoTime(window.endMs),
    claimDeadline: isoTime(deadlineMs),
    state,
    amount: share.toString(),
    progress:
      count === undefined
        ? null
        : { done: count.done, required: count.required, met: count.met, workouts: count.qualifyingIds },
    claimable:
      count?.met === true &&
      ((state === "Open" && window.startMs <= now && deadlineOpen) || state === "Appealed"),
    appealable: state === "Open" && window.endMs <= now && deadlineOpen,
    appealBond: appealBondOfShare(share).toString(),
    appeal:
      appeal === undefined
        ? null
        : {
            appealedAt: isoTime(appeal.appealedAt * 1000),
            bond: appeal.bond,
            expiresAt: isoTime(appealEarliestExpiryOf(appeal.appealedAt) * 1000),
          },
  };
}
