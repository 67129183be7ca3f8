/**
 * What a milestone looks like to its owner at a given moment, from its on-chain state and times:
 * released, slashed, refunded, missed (deadline passed, not yet slashed), in grace, open, upcoming.
 */

/** `MilestoneState` of the vault: Open, Released, Slashed, Refunded. */
export const MILESTONE_STATES = ["open", "released", "slashed", "refunded"] as const;
export type ChainMilestoneState = (typeof MILESTONE_STATES)[number];

export type MilestoneStatus = "released" | "slashed" | "refunded" | "missed" | "grace" | "open" | "upcoming";

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
  missed: "Missed",
  grace: "In grace",
  open: "Open",
  upcoming: "Upcoming",
};

/** The milestone whose claim deadline a countdown should show: the first that can still be claimed. */
export function currentMilestoneIndex(
  milestones: readonly { status: MilestoneStatus }[],
): number | undefined {
  const i = milestones.findIndex((m) => m.status === "open" || m.status === "grace");
  if (i >= 0) return i;
  const next = milestones.findIndex((m) => m.status === "upcoming");
  return next >= 0 ? next : undefined;
}
