import { expect } from "chai";
import {
  APPEAL_PERIOD_SECONDS,
  appealBondOf,
  appealEarliestExpiryOf,
  baseClaimDeadlineOf,
  type CommitmentSchedule,
  commitmentSpanOf,
  commitmentTotalsOf,
  milestoneIndexAt,
  milestoneShareOf,
  milestoneStateOf,
  milestoneWindowOf,
} from "../../src/services/milestoneSchedule.ts";

const START = 1_795_392_000; // 2026-11-23T00:00:00Z
const WEEK = 7 * 86_400;

function schedule(
  overrides: Partial<CommitmentSchedule & { closed: boolean }> = {},
): CommitmentSchedule & { closed: boolean } {
  return {
    closed: false,
    amount: 1_000n,
    start: START,
    period: WEEK,
    milestones: 3,
    grace: 2 * 86_400,
    milestoneStates: ["Open", "Open", "Open"],
    ...overrides,
  };
}

describe("milestoneSchedule", () => {
  it("places window i at [start + i*period, start + (i+1)*period) in ms", () => {
    expect(milestoneWindowOf(schedule(), 0)).to.deep.equal({
      startMs: START * 1000,
      endMs: (START + WEEK) * 1000,
    });
    expect(milestoneWindowOf(schedule(), 2)).to.deep.equal({
      startMs: (START + 2 * WEEK) * 1000,
      endMs: (START + 3 * WEEK) * 1000,
    });
    expect(commitmentSpanOf(schedule())).to.deep.equal({
      startMs: START * 1000,
      endMs: (START + 3 * WEEK) * 1000,
    });
  });

  it("puts the base claim deadline at window end + grace (the first second a claim is refused)", () => {
    expect(baseClaimDeadlineOf(schedule(), 0)).to.equal(START + WEEK + 2 * 86_400);
    expect(baseClaimDeadlineOf(schedule(), 2)).to.equal(START + 3 * WEEK + 2 * 86_400);
  });

  it("finds the window an instant falls in, inclusive start, exclusive end", () => {
    const s = schedule();
    expect(milestoneIndexAt(s, START * 1000 - 1)).to.equal(undefined);
    expect(milestoneIndexAt(s, START * 1000)).to.equal(0);
    expect(milestoneIndexAt(s, (START + WEEK) * 1000 - 1)).to.equal(0);
    expect(milestoneIndexAt(s, (START + WEEK) * 1000)).to.equal(1);
    expect(milestoneIndexAt(s, (START + 3 * WEEK) * 1000 - 1)).to.equal(2);
    expect(milestoneIndexAt(s, (START + 3 * WEEK) * 1000)).to.equal(undefined);
  });

  it("gives each milestone amount / milestones and the last one the remainder", () => {
    const s = schedule({ amount: 1_000n, milestones: 3, milestoneStates: ["Open", "Open", "Open"] });
    expect([0, 1, 2].map((i) => milestoneShareOf(s, i))).to.deep.equal([333n, 333n, 334n]);
    const one = schedule({ amount: 7n, milestones: 1, milestoneStates: ["Open"] });
    expect(milestoneShareOf(one, 0)).to.equal(7n);
    const big = schedule({ amount: 2n ** 128n - 1n, milestones: 104, milestoneStates: [] });
    let sum = 0n;
    for (let i = 0; i < 104; i += 1) sum += milestoneShareOf(big, i);
    expect(sum).to.equal(2n ** 128n - 1n);
  });

  it("splits the stake into released, slashed, refunded and locked by milestone state", () => {
    const totals = commitmentTotalsOf(
      schedule({
        amount: 1_000n,
        milestones: 4,
        milestoneStates: ["Released", "Slashed", "Open", "Refunded"],
      }),
    );
    expect(totals).to.deep.equal({ released: 250n, slashed: 250n, locked: 250n, refunded: 250n });
    const all = commitmentTotalsOf(
      schedule({ amount: 10n, milestones: 3, milestoneStates: ["Open", "Open", "Released"] }),
    );
    expect(all).to.deep.equal({ released: 4n, slashed: 0n, locked: 6n, refunded: 0n });
  });

  it("reads an Open milestone of a closed (cancelled or exited) commitment as Refunded", () => {
    const closed = schedule({
      amount: 10n,
      milestones: 3,
      milestoneStates: ["Released", "Open", "Open"],
      closed: true,
    });
    expect([0, 1, 2].map((i) => milestoneStateOf(closed, i))).to.deep.equal([
      "Released",
      "Refunded",
      "Refunded",
    ]);
    expect(commitmentTotalsOf(closed)).to.deep.equal({ released: 3n, slashed: 0n, locked: 0n, refunded: 7n });
  });

  it("counts an Appealed share as locked, and reads it Refunded once the commitment is closed (v2 exit)", () => {
    const appealed = schedule({
      amount: 30n,
      milestones: 3,
      milestoneStates: ["Slashed", "Appealed", "Open"],
    });
    expect(commitmentTotalsOf(appealed)).to.deep.equal({
      released: 0n,
      slashed: 10n,
      locked: 20n,
      refunded: 0n,
    });
    const exited = { ...appealed, closed: true };
    expect([0, 1, 2].map((i) => milestoneStateOf(exited, i))).to.deep.equal([
      "Slashed",
      "Refunded",
      "Refunded",
    ]);
  });

  it("prices an appeal at a tenth of the share, at least 1 unit, and lets it expire 14 days later at the earliest", () => {
    // Shares 333, 333, 334 → bonds 33, 33, 33; shares of 3 units → bond 1 (never 0).
    expect([0, 1, 2].map((i) => appealBondOf(schedule({ amount: 1_000n }), i))).to.deep.equal([
      33n,
      33n,
      33n,
    ]);
    expect(appealBondOf(schedule({ amount: 9n }), 0)).to.equal(1n);
    expect(APPEAL_PERIOD_SECONDS).to.equal(1_209_600);
    expect(appealEarliestExpiryOf(START)).to.equal(START + 14 * 86_400);
  });
});
