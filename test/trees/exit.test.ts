/** Mirrors test/trees/exit.tree branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import {
  ETH_BOND,
  ETH_SHARE,
  makeTreeFixture,
  State,
  USDC_BOND,
  USDC_SHARE,
  USDC_STAKE,
} from "../helpers/trees.js";
import { DAY, params, ZERO_ADDRESS } from "../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const treeFixture = makeTreeFixture(ethers, networkHelpers);
const EXIT = 30 * DAY;

/** Pauses during window 2 (milestone 0 already slashable, unslashed) and waits out 30 days. */
async function exitableFixture() {
  const f = await treeFixture();
  await time.increaseTo(f.end(0) + 1);
  await f.vault.connect(f.alice).appeal(f.usdcId, 0);
  await time.increaseTo(f.deadline(1) - DAY);
  await f.vault.connect(f.admin).pause();
  const pausedAt = await time.latest();
  await time.increaseTo(pausedAt + EXIT);
  return { ...f, pausedAt };
}

describe("exit", () => {
  it("when the commitment does not exist: it should revert with CommitmentNotFound", async () => {
    const f = await networkHelpers.loadFixture(exitableFixture);
    await expect(f.vault.exit(5)).to.be.revertedWithCustomError(f.vault, "CommitmentNotFound").withArgs(5);
  });

  it("when the commitment is closed: it should revert with CommitmentClosed", async () => {
    const f = await networkHelpers.loadFixture(exitableFixture);
    await f.vault.exit(f.ethId);
    await expect(f.vault.exit(f.ethId))
      .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
      .withArgs(f.ethId);
  });

  it("when the vault is not paused: it should revert with ExitNotAvailable", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await expect(f.vault.exit(f.ethId))
      .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
      .withArgs(0, EXIT);
  });

  it("when the vault has been paused less than 30 of the last 31 days: it should revert with ExitNotAvailable", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await f.vault.connect(f.admin).pause();
    const pausedAt = await time.latest();
    await time.setNextBlockTimestamp(pausedAt + EXIT - 1);
    await expect(f.vault.exit(f.ethId))
      .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
      .withArgs(EXIT - 1, EXIT);
  });

  describe("when exit is available", () => {
    it("given milestones whose deadline passed before the pause began and others still running: it should let anyone call it, slash the first to the beneficiary, refund the others to the owner and close the commitment", async () => {
      const f = await networkHelpers.loadFixture(exitableFixture);
      expect(await f.vault.exitAvailable()).to.equal(true);
      const refund = 7n * ETH_SHARE;
      const tx = f.vault.connect(f.keeper).exit(f.ethId);
      await expect(tx)
        .to.emit(f.vault, "MilestoneSlashed")
        .withArgs(f.ethId, 0, f.charity.address, ETH_SHARE);
      await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, ZERO_ADDRESS, ETH_SHARE);
      await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(f.ethId, f.alice.address, refund);
      await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.keeper, f.vault], [refund, 0n, -refund]);
      expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Slashed);
      for (let i = 1; i < 8; i++) expect(await f.vault.milestoneState(f.ethId, i)).to.equal(State.Refunded);
      expect((await f.vault.getCommitment(f.ethId)).closed).to.equal(true);
      const [low] = await f.vault.milestoneStates(f.ethId);
      expect(low).to.equal(0xfffen); // milestone 0 Slashed (2), 1..7 Refunded (3)
    });

    it("given an Appealed milestone: it should refund its share and its bond to the owner", async () => {
      const f = await networkHelpers.loadFixture(exitableFixture);
      // Milestone 0 is Appealed (its deadline passed, but an appeal is never forfeited); milestone 1 was running.
      const refund = USDC_STAKE + USDC_BOND;
      const tx = f.vault.exit(f.usdcId);
      await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(f.usdcId, f.alice.address, refund);
      await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [refund, -refund]);
      expect(await f.vault.milestoneState(f.usdcId, 0)).to.equal(State.Refunded);
      expect(await f.vault.appealOf(f.usdcId, 0)).to.deep.equal([BigInt(f.end(0) + 2), USDC_BOND]);
      expect(USDC_SHARE).to.be.greaterThan(0n);
    });

    it("given an appeal that already expired: it should not refund it again", async () => {
      // Found by the invariant campaign: an expired appeal keeps its "appeal" state bits (the expired flag makes it
      // Refunded), and exit must not pay its share and bond a second time.
      const f = await networkHelpers.loadFixture(treeFixture);
      await time.increaseTo(f.end(0) + 1);
      await f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
      await time.increase(14 * DAY);
      await f.vault.expireAppeal(f.ethId, 0);
      await f.vault.connect(f.admin).pause();
      await time.increase(EXIT);
      // Milestone 0 was refunded by the expiry; milestone 1's deadline passed before the pause (forfeited).
      const refund = 6n * ETH_SHARE;
      await expect(f.vault.exit(f.ethId))
        .to.emit(f.vault, "CommitmentExited")
        .withArgs(f.ethId, f.alice.address, refund);
      // What stays in the vault is exactly the beneficiary's credit.
      expect(await ethers.provider.getBalance(f.vault)).to.equal(
        await f.vault.credits(f.charity, ZERO_ADDRESS),
      );
      expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(ETH_SHARE);
    });

    it("given the owner rejects ETH: it should credit the refund to the owner", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      const rejecter = await ethers.deployContract("RevertingReceiver");
      const p = params(f.start, f.charity.address);
      await f.vault.connect(f.bob).createCommitmentFor(rejecter, p, { value: p.amount });
      await f.vault.connect(f.admin).pause();
      await time.increase(EXIT);
      await expect(f.vault.exit(3))
        .to.emit(f.vault, "Credited")
        .withArgs(await rejecter.getAddress(), ZERO_ADDRESS, p.amount);
      expect(ETH_BOND).to.be.greaterThan(0n);
    });
  });
});
