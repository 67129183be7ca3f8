/**
 * The time and money arithmetic of a commitment, exactly as the vault's `Schedule` library does it: window `i`
 * is `[start + i*period, start + (i+1)*period)`, its claim deadline (before any pause) is the window end plus
 * `grace`, and each milestone's share is `amount / milestones` with the remainder on the last one. PURE.
 */
import {
  APPEAL_PERIOD_SECONDS,
  appealBondOf as appealBondOfShare,
  type MilestoneState,
  milestoneShareOf as shareOf,
} from "@resolution-autopilot/vocabulary";
import type { MilestoneWindow } from "../workouts/index.ts";

export { APPEAL_PERIOD_SECONDS };

/** The commitment facts the schedule depends on (a cache row or an on-chain read both fit). */
export interface CommitmentSchedule {
  amount: bigint;
  /** Unix seconds. */
  start: number;
  /** Seconds. */
  period: number;
  milestones: number;
  /** Seconds. */
  grace: number;
  milestoneStates: readonly MilestoneState[];
}

export type MilestoneWindowOfParameters = Parameters<typeof milestoneWindowOf>;
export type MilestoneWindowOfReturnType = MilestoneWindow;

/** Window `index` in ms since the epoch: `[start + index*period, start + (index+1)*period)`. */
export function milestoneWindowOf(schedule: CommitmentSchedule, index: number): MilestoneWindow {
  const startSec = schedule.start + index * schedule.period;
  return { startMs: startSec * 1000, endMs: (startSec + schedule.period) * 1000 };
}

/** The whole span of the commitment's windows, ms since the epoch. */
export function commitmentSpanOf(schedule: CommitmentSchedule): MilestoneWindow {
  return {
    startMs: schedule.start * 1000,
    endMs: (schedule.start + schedule.milestones * schedule.period) * 1000,
  };
}

/**
 * `claimDeadline` before any pause, unix seconds: the first second at which the milestone can no longer be
 * claimed (`start + (index+1)*period + grace`).
 */
export function baseClaimDeadlineOf(schedule: CommitmentSchedule, index: number): number {
  return schedule.start + (index + 1) * schedule.period + schedule.grace;
}

/** The milestone whose window contains `timeMs`, or undefined when it lies before the first or after the last. */
export function milestoneIndexAt(schedule: CommitmentSchedule, timeMs: number): number | undefined {
  const offset = timeMs - schedule.start * 1000;
  if (offset < 0 || schedule.period <= 0) return undefined;
  const index = Math.floor(offset / (schedule.period * 1000));
  return index < schedule.milestones ? index : undefined;
}

/** Share of milestone `index`: `amount / milestones`, the last one takes the remainder (the vocabulary's formula). */
export function milestoneShareOf(schedule: CommitmentSchedule, index: number): bigint {
  return shareOf(schedule.amount, schedule.milestones, index);
}

/**
 * The state of milestone `index` as the vault reports it: `Refunded` is stored as `Open` on a closed commitment
 * (cancel, exit), so an `Open` (or, v2, `Appealed`) milestone of a closed commitment reads `Refunded`.
 */
export function milestoneStateOf(
  schedule: CommitmentSchedule & { closed: boolean },
  index: number,
): MilestoneState {
  const state = schedule.milestoneStates[index] ?? "Open";
  return schedule.closed && (state === "Open" || state === "Appealed") ? "Refunded" : state;
}

/** `appealBond(id, index)` (v2): a tenth of the milestone's share, at least 1 unit. */
export function appealBondOf(schedule: CommitmentSchedule, index: number): bigint {
  return appealBondOfShare(milestoneShareOf(schedule, index));
}

/**
 * The earliest moment (unix seconds) an appeal made at `appealedAt` can expire: `APPEAL_PERIOD` later. Only
 * unpaused time counts, so a pause in between moves it later by the paused time.
 */
export function appealEarliestExpiryOf(appealedAt: number): number {
  return appealedAt + APPEAL_PERIOD_SECONDS;
}

export interface CommitmentTotals {
  /** Shares of Released milestones (paid to the owner). */
  released: bigint;
  /** Shares of Slashed milestones (credited to the beneficiary). */
  slashed: bigint;
  /** Shares of Refunded milestones (cancel or exit). */
  refunded: bigint;
  /** Shares of Open milestones: still held by the vault. */
  locked: bigint;
}

/** Where the stake stands: every unit is exactly one of released, slashed, refunded or locked. */
export function commitmentTotalsOf(schedule: CommitmentSchedule & { closed: boolean }): CommitmentTotals {
  const totals: CommitmentTotals = { released: 0n, slashed: 0n, refunded: 0n, locked: 0n };
  for (let index = 0; index < schedule.milestones; index += 1) {
    const share = milestoneShareOf(schedule, index);
    switch (milestoneStateOf(schedule, index)) {
      case "Released":
        totals.released += share;
        break;
      case "Slashed":
        totals.slashed += share;
        break;
      case "Refunded":
        totals.refunded += share;
        break;
      default:
        // Open or Appealed: still held by the vault.
        totals.locked += share;
    }
  }
  return totals;
}
