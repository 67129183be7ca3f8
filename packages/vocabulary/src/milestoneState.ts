/**
 * The vault's `MilestoneState`, by name, in the contract's order (generated from the compiler's AST), and the moves
 * the contract allows: Open → Released | Slashed | Refunded | Appealed, Appealed → Released | Slashed | Refunded;
 * nothing else, never back (test/INVARIANTS.md).
 */
import { milestoneStateNames } from "./generated/contractConstants.ts";

export const MILESTONE_STATES = milestoneStateNames;
export type MilestoneState = (typeof MILESTONE_STATES)[number];

/** The states a milestone never leaves: its share has gone to the owner, the beneficiary or back to the owner. */
export const SETTLED_MILESTONE_STATES = [
  "Released",
  "Slashed",
  "Refunded",
] as const satisfies readonly MilestoneState[];
export type SettledMilestoneState = (typeof SETTLED_MILESTONE_STATES)[number];

/** A person's word for each state (the same as the contract's names today; the web app shows these). */
export const MILESTONE_STATE_LABELS: Readonly<Record<MilestoneState, string>> = {
  Open: "Open",
  Released: "Released",
  Slashed: "Slashed",
  Refunded: "Refunded",
  Appealed: "Appealed",
};

/** True when `value` is a state name of the vault. */
export function isMilestoneState(value: unknown): value is MilestoneState {
  return typeof value === "string" && (MILESTONE_STATES as readonly string[]).includes(value);
}

/** The state whose uint8 the vault returns (`milestoneState(id, index)`); throws on a value it never returns. */
export function milestoneStateFromIndex(value: number): MilestoneState {
  const state = MILESTONE_STATES[value];
  if (state === undefined) throw new RangeError(`unknown milestone state ${value}`);
  return state;
}

/** True once the milestone's share has left the vault's hold for good. */
export function isSettledMilestoneState(state: MilestoneState): state is SettledMilestoneState {
  return (SETTLED_MILESTONE_STATES as readonly MilestoneState[]).includes(state);
}

/** True when the vault can move a milestone from `from` to `to` in one transaction. */
export function canMoveMilestone(from: MilestoneState, to: MilestoneState): boolean {
  if (from === "Open") return to !== "Open";
  if (from === "Appealed") return isSettledMilestoneState(to);
  return false;
}
