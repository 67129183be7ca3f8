/**
 * What a milestone looks like to its owner at a given moment, from its on-chain state and times:
 * released, slashed, refunded, appealed (v2: the owner posted a bond; no slash until the arbiter rules, a late
 * quorum claims it or the appeal expires), missed (deadline passed, not yet slashed), in grace, open, upcoming.
 */
import { APPEAL_PERIOD_SECONDS } from "@resolution-autopilot/vocabulary/contractLimits";

/** `MilestoneState` of the vault: Open, Released, Slashed, Refunded, Appealed (v2, appended last). */
export const MILESTONE_STATES = ["open", "released", "slashed", "refunded", "appealed"] as const;
export type ChainMilestoneState = (typeof MILESTONE_STATES)[number];

export type MilestoneStatus =
  | "released"
  | "slashed"
  | "refunded"
  | "appealed"
  | "missed"
  | "grace"
  | "open"
  | "upcoming";

/** The vault's `APPEAL_PERIOD`: unpaused seconds after an appeal before anyone may expire it. */
export { APPEAL_PERIOD_SECONDS };

export interface MilestoneTimes {
  /** Unix seconds. */
  windowStart: number;
  windowEnd: number;
  claimDeadline: number;
}

export function chainStateOf(value: number): ChainMilestoneState {
  const state = MILESTONE_STATES[value];
  if (state === undefined) throw new Error(`unknown milestone state ${value}`);
  return state;
}

export function milestoneStatus(
  state: ChainMilestoneState,
  times: MilestoneTimes,
  nowSec: number,
): MilestoneStatus {
  if (state !== "open") return state;
  if (nowSec >= times.claimDeadline) return "missed";
  if (nowSec >= times.windowEnd) return "grace";
  if (nowSec >= times.windowStart) return "open";
  return "upcoming";
}

export const STATUS_LABEL: Readonly<Record<MilestoneStatus, string>> = {
  released: "Released",
  slashed: "Slashed",
  refunded: "Refunded",
  appealed: "Appealed",
  missed: "Missed",
  grace: "In grace",
  open: "Open",
  upcoming: "Upcoming",
};

/**
 * The owner may appeal now: the milestone is Open, its window has ended and its claim deadline has not passed
 * (the "In grace" status). Appeals are refused while the vault is paused.
 */
export function canAppeal(status: MilestoneStatus, paused: boolean): boolean {
  return status === "grace" && !paused;
}

/**
 * Whether an appeal made at `appealedAt` may be expired (unix seconds): 14 days later at the earliest; a pause
 * in between moves it later, and the vault (which counts only unpaused time) has the last word.
 */
export function appealMayExpire(appealedAt: number, nowSec: number): boolean {
  return appealedAt > 0 && nowSec >= appealedAt + APPEAL_PERIOD_SECONDS;
}

/** The milestone whose claim deadline a countdown should show: the first that can still be claimed. */
export function currentMilestoneIndex(
  milestones: readonly { status: MilestoneStatus }[],
): number | undefined {
  const i = milestones.findIndex((m) => m.status === "open" || m.status === "grace");
  if (i >= 0) return i;
  const next = milestones.findIndex((m) => m.status === "upcoming");
  return next >= 0 ? next : undefined;
}
