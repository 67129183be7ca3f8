/**
 * The share formula of `Schedule.share` and the vault's `appealBond`. The expected values are what the vault's
 * `milestoneAmount(id, index)` returns for these stakes (test/vocabulary.onchain.test.ts compares this module
 * with the deployed contract directly).
 */
import { expect } from "chai";
import { appealBondOf, milestoneShareOf, milestoneSharesOf } from "../src/milestoneShare.ts";

describe("milestoneSharesOf", () => {
  it("splits like the vault: equal shares rounded down, the last takes the remainder", () => {
    expect(milestoneSharesOf(100n, 3)).to.deep.equal([33n, 33n, 34n]);
    expect(milestoneSharesOf(10n ** 17n, 8)).to.deep.equal(Array(8).fill(12_500_000_000_000_000n));
    expect(milestoneSharesOf(5n, 1)).to.deep.equal([5n]);
    expect(milestoneSharesOf(3n, 4)).to.deep.equal([0n, 0n, 0n, 3n]);
  });

  it("always sums to the amount", () => {
    for (const [amount, n] of [
      [1n, 7],
      [999_999_999_999n, 104],
      [7n, 3],
      [2n ** 128n - 1n, 104],
    ] as const) {
      const shares = milestoneSharesOf(amount, n);
      expect(shares).to.have.length(n);
      expect(shares.reduce((a, b) => a + b, 0n)).to.equal(amount);
    }
  });

  it("gives nothing for an invalid count", () => {
    expect(milestoneSharesOf(100n, 0)).to.deep.equal([]);
    expect(milestoneSharesOf(100n, 1.5)).to.deep.equal([]);
  });

  it("milestoneShareOf gives one milestone's share", () => {
    expect(milestoneShareOf(1_000_000n, 7, 0)).to.equal(142_857n);
    expect(milestoneShareOf(1_000_000n, 7, 6)).to.equal(142_858n);
  });
});

describe("appealBondOf", () => {
  it("is a tenth of the share, rounded down, at least 1", () => {
    expect(appealBondOf(1_000n)).to.equal(100n);
    expect(appealBondOf(1_009n)).to.equal(100n);
    expect(appealBondOf(9n)).to.equal(1n);
    expect(appealBondOf(0n)).to.equal(1n);
  });
});
