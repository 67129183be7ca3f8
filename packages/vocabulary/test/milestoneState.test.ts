import { expect } from "chai";
import {
  canMoveMilestone,
  isMilestoneState,
  isSettledMilestoneState,
  MILESTONE_STATES,
  type MilestoneState,
  milestoneStateFromIndex,
} from "../src/milestoneState.ts";

describe("milestone states", () => {
  it("are the vault's enum in its order (uint8 0..4)", () => {
    expect(MILESTONE_STATES).to.deep.equal(["Open", "Released", "Slashed", "Refunded", "Appealed"]);
    expect(milestoneStateFromIndex(0)).to.equal("Open");
    expect(milestoneStateFromIndex(4)).to.equal("Appealed");
    expect(() => milestoneStateFromIndex(5)).to.throw(RangeError, /unknown milestone state 5/);
  });

  it("recognise their names only", () => {
    expect(isMilestoneState("Slashed")).to.equal(true);
    expect(isMilestoneState("slashed")).to.equal(false);
    expect(isMilestoneState(2)).to.equal(false);
  });

  it("allow the moves of test/INVARIANTS.md and nothing else", () => {
    const allowed = new Set([
      "Open→Released",
      "Open→Slashed",
      "Open→Refunded",
      "Open→Appealed",
      "Appealed→Released",
      "Appealed→Slashed",
      "Appealed→Refunded",
    ]);
    const moves: string[] = [];
    for (const from of MILESTONE_STATES) {
      for (const to of MILESTONE_STATES) if (canMoveMilestone(from, to)) moves.push(`${from}→${to}`);
    }
    expect(new Set(moves)).to.deep.equal(allowed);
  });

  it("call Released, Slashed and Refunded settled", () => {
    const settled = MILESTONE_STATES.filter((s: MilestoneState) => isSettledMilestoneState(s));
    expect(settled).to.deep.equal(["Released", "Slashed", "Refunded"]);
  });
});
