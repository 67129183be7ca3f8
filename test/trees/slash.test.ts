/** Mirrors test/trees/slash.tree branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import { ETH_BOND, ETH_SHARE, makeTreeFixture, State } from "../helpers/trees.js";
import { DAY, params, ZERO_ADDRESS } from "../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const treeFixture = makeTreeFixture(ethers, networkHelpers);

describe("slash", () => {
  it("when the reentrancy flag is taken: it should revert with ReentrantCall", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    const receiver = await ethers.deployContract("ReentrantReceiver");
    const p = params(f.start, f.charity.address);
    await f.vault.connect(f.bob).createCommitmentFor(receiver, p, { value: p.amount });
    await time.increaseTo(f.deadline(0));
    // The receiver owns commitment 3; the ETH push of its milestone-1 claim re-enters slash while the flag is taken.
    await receiver.setReentry(f.vault, f.vault.interface.encodeFunctionData("slash", [f.ethId, 0]));
    const { quorum } = await import("../helpers/trees.js");
    const { EVIDENCE_HASH } = await import("../helpers/vault.js");
    await time.increaseTo(f.end(1) + 1);
    const validUntil = (await time.latest()) + DAY;
    const sigs = await quorum(f, 3n, 1, validUntil);
    await f.vault.claimMilestone(3, 1, EVIDENCE_HASH, validUntil, sigs);
    expect(await receiver.attempted()).to.equal(true);
    expect(await receiver.reentrySucceeded()).to.equal(false);
    expect(await receiver.reentryRevertHash()).to.equal(
      ethers.keccak256(f.vault.interface.encodeErrorResult("ReentrantCall", [await receiver.getAddress()])),
    );
  });

  describe("when the reentrancy flag is free", () => {
    it("when the vault is paused: it should revert with VaultPaused", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await time.increaseTo(f.deadline(0));
      await f.vault.connect(f.admin).pause();
      await expect(f.vault.slash(f.ethId, 0)).to.be.revertedWithCustomError(f.vault, "VaultPaused");
    });

    describe("when the vault is not paused", () => {
      it("when the commitment does not exist: it should revert with CommitmentNotFound", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        await expect(f.vault.slash(9, 0))
          .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
          .withArgs(9);
      });

      it("when the commitment is closed: it should revert with CommitmentClosed", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        await f.vault.connect(f.alice).cancel(f.ethId);
        await expect(f.vault.slash(f.ethId, 0))
          .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
          .withArgs(f.ethId);
      });

      it("when the index is out of range: it should revert with MilestoneOutOfRange", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        await expect(f.vault.slash(f.ethId, 8))
          .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
          .withArgs(f.ethId, 8, 8);
      });

      describe("when the milestone is not Open", () => {
        it("given it is Appealed: it should revert with MilestoneNotOpen(Appealed)", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          await time.increaseTo(f.end(0) + 1);
          await f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
          await time.increaseTo(f.deadline(0) + 1);
          await expect(f.vault.slash(f.ethId, 0))
            .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
            .withArgs(f.ethId, 0, State.Appealed);
        });

        it("given it is Released: it should revert with MilestoneNotOpen(Released)", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          await time.increaseTo(f.deadline(0));
          await f.vault.slash(f.ethId, 0);
          await expect(f.vault.slash(f.ethId, 0))
            .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
            .withArgs(f.ethId, 0, State.Slashed);
        });
      });

      it("when the claim deadline has not been reached: it should revert with ClaimDeadlineNotReached", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        await time.setNextBlockTimestamp(f.deadline(0) - 1);
        await expect(f.vault.slash(f.ethId, 0))
          .to.be.revertedWithCustomError(f.vault, "ClaimDeadlineNotReached")
          .withArgs(f.ethId, 0, f.deadline(0));
      });

      describe("when the claim deadline has been reached", () => {
        it("given a milestone below 64: it should mark the milestone Slashed, credit the share to the beneficiary and move no value", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          await time.increaseTo(f.deadline(0));
          const tx = f.vault.connect(f.keeper).slash(f.ethId, 0);
          await expect(tx)
            .to.emit(f.vault, "MilestoneSlashed")
            .withArgs(f.ethId, 0, f.charity.address, ETH_SHARE);
          await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, ZERO_ADDRESS, ETH_SHARE);
          await expect(tx).to.changeEtherBalances(ethers, [f.vault, f.charity], [0n, 0n]);
          expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Slashed);
          expect((await f.vault.milestoneStates(f.ethId))[0]).to.equal(2n);
        });

        it("given a milestone from 64 on: it should mark the milestone Slashed", async () => {
          const f = await networkHelpers.loadFixture(treeFixture);
          const p = params(f.start, f.charity.address, {
            milestones: 104,
            period: 3600,
            grace: 0,
            amount: 104n,
          });
          await f.vault.connect(f.bob).createCommitment(p, { value: p.amount });
          await time.increaseTo(f.start + 100 * 3600);
          await f.vault.slash(3, 99);
          await f.vault.slash(3, 64);
          await f.vault.slash(3, 63);
          expect(await f.vault.milestoneState(3, 99)).to.equal(State.Slashed);
          const [low, high] = await f.vault.milestoneStates(3);
          expect(high).to.equal((2n << (2n * 35n)) | 2n);
          expect(low).to.equal(2n << (2n * 63n));
        });
      });
    });
  });
});
