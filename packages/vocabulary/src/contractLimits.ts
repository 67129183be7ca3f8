/**
 * The bounds the vault enforces on a new commitment, by the names people use, taken from the generated constants
 * (Solidity is the one source; `npm run abi:check` fails when they drift). Times are seconds.
 */
import { commitmentVaultConstants } from "./generated/contractConstants.ts";

/** Milestones per commitment: `1 ..= MAX_MILESTONES`; milestone indexes run `0 .. MAX_MILESTONES - 1`. */
export const MAX_MILESTONES = commitmentVaultConstants.MAX_MILESTONES;
/** Shortest window. */
export const MIN_PERIOD_SECONDS = commitmentVaultConstants.MIN_PERIOD;
/** Longest window. */
export const MAX_PERIOD_SECONDS = commitmentVaultConstants.MAX_PERIOD;
/** Longest grace after a window closes. */
export const MAX_GRACE_SECONDS = commitmentVaultConstants.MAX_GRACE;
/** Furthest a start may lie ahead of the chain's clock. */
export const MAX_START_DELAY_SECONDS = commitmentVaultConstants.MAX_START_DELAY;
/** Unpaused seconds after an appeal before anyone may `expireAppeal` it (v2). */
export const APPEAL_PERIOD_SECONDS = commitmentVaultConstants.APPEAL_PERIOD;
/** Most oracles in the set. */
export const MAX_ORACLES = commitmentVaultConstants.MAX_ORACLES;

/** True when `milestones` is a count the vault accepts. */
export function isValidMilestoneCount(milestones: number): boolean {
  return Number.isInteger(milestones) && milestones >= 1 && milestones <= MAX_MILESTONES;
}

/** True when `period` (seconds) is a window length the vault accepts. */
export function isValidPeriod(period: number): boolean {
  return Number.isInteger(period) && period >= MIN_PERIOD_SECONDS && period <= MAX_PERIOD_SECONDS;
}
