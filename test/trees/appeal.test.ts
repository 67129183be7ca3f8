/** Mirrors test/trees/appeal.tree (appeal, resolveAppeal, expireAppeal) branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import {
  ETH_BOND,
  ETH_SHARE,
  GRACE,
  makeTreeFixture,
  quorum,
  State,
  USDC_BOND,
  USDC_SHARE,
} from "../helpers/trees.js";
import { DAY, EVIDENCE_HASH, ZERO_ADDRESS } from "../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const treeFixture = makeTreeFixture(ethers, networkHelpers);
const APPEAL_PERIOD = 14 * DAY;

/** Fixture with milestone 0 of both commitments appealed one hour after window 0 ended. */
async function appealedFixture() {
  const f = await treeFixture();
  await time.increaseTo(f.end(0) + 3600);
  await f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
  await f.vault.connect(f.alice).appeal(f.usdcId, 0);
  return { ...f, appealedAt: await time.latest() };
}

describe("appeal", () => {
  it("when the vault is paused: it should revert with VaultPaused", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.end(0) + 1);
    await f.vault.connect(f.admin).pause();
    const pausedAt = await time.latest();
    await expect(f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND }))
      .to.be.revertedWithCustomError(f.vault, "VaultPaused")
      .withArgs(pausedAt);
  });

  describe("when the vault is not paused", () => {
    it("when the commitment does not exist: it should revert with CommitmentNotFound", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await expect(f.vault.connect(f.alice).appeal(9, 0))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(9);
    });

    it("when the commitment is closed: it should revert with CommitmentClosed", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await f.vault.connect(f.alice).cancel(f.ethId);
      await expect(f.vault.connect(f.alice).appeal(f.ethId, 0))
        .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
        .withArgs(f.ethId);
    });

    it("when the index is out of range: it should revert with MilestoneOutOfRange", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await expect(f.vault.connect(f.alice).appeal(f.ethId, 8))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(f.ethId, 8, 8);
    });

    it("when the caller is not the owner: it should revert with NotCommitmentOwner", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await time.increaseTo(f.end(0) + 1);
      await expect(f.vault.connect(f.bob).appeal(f.ethId, 0, { value: ETH_BOND }))
        .to.be.revertedWithCustomError(f.vault, "NotCommitmentOwner")
        .withArgs(f.ethId, f.bob.address);
    });

    it("when the milestone is not Open: it should revert with MilestoneNotOpen", async () => {
      const f = await networkHelpers.loadFixture(appealedFixture);
      await expect(f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND }))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
        .withArgs(f.ethId, 0, State.Appealed);
    });

    it("when the window has not ended: it should revert with WindowNotEnded", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await time.increaseTo(f.start + 1);
      await expect(f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND }))
        .to.be.revertedWithCustomError(f.vault, "WindowNotEnded")
        .withArgs(f.ethId, 0, f.end(0));
    });

    it("when the claim deadline has passed: it should revert with ClaimDeadlinePassed", async () => {
      const f = await networkHelpers.loadFixture(treeFixture);
      await time.increaseTo(f.deadline(0));
      await expect(f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND }))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
        .withArgs(f.ethId, 0, f.deadline(0));
    });

    describe("when the value is wrong", () => {
      it("given an ETH stake: it should revert with IncorrectValue(sent, bond)", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        await time.increaseTo(f.end(0) + 1);
        await expect(f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND - 1n }))
          .to.be.revertedWithCustomError(f.vault, "IncorrectValue")
          .withArgs(ETH_BOND - 1n, ETH_BOND);
      });

      it("given an ERC-20 stake: it should revert with IncorrectValue(sent, 0)", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        await time.increaseTo(f.end(0) + 1);
        await expect(f.vault.connect(f.alice).appeal(f.usdcId, 0, { value: 1n }))
          .to.be.revertedWithCustomError(f.vault, "IncorrectValue")
          .withArgs(1n, 0n);
      });
    });

    describe("when every requirement holds", () => {
      it("given an ETH stake: it should mark the milestone Appealed, record appealedAt and the bond, and emit AppealOpened", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        expect(await f.vault.appealBond(f.ethId, 0)).to.equal(ETH_BOND);
        await time.setNextBlockTimestamp(f.deadline(0) - 1);
        const tx = f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
        await expect(tx).to.emit(f.vault, "AppealOpened").withArgs(f.ethId, 0, ETH_BOND);
        await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [-ETH_BOND, ETH_BOND]);
        expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Appealed);
        expect(await f.vault.appealOf(f.ethId, 0)).to.deep.equal([BigInt(f.deadline(0) - 1), ETH_BOND]);
        // milestoneStates reads Appealed as Open.
        expect((await f.vault.milestoneStates(f.ethId))[0]).to.equal(0n);
        // While Appealed a slash reverts, even after the deadline.
        await time.increaseTo(f.deadline(0) + DAY);
        await expect(f.vault.slash(f.ethId, 0))
          .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
          .withArgs(f.ethId, 0, State.Appealed);
      });

      it("given an ERC-20 stake: it should pull the bond from the owner", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        expect(await f.vault.appealBond(f.usdcId, 0)).to.equal(USDC_BOND);
        await time.increaseTo(f.end(0) + 1);
        const tx = f.vault.connect(f.alice).appeal(f.usdcId, 0);
        await expect(tx).to.emit(f.vault, "AppealOpened").withArgs(f.usdcId, 0, USDC_BOND);
        await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [-USDC_BOND, USDC_BOND]);
      });

      it("given a share under 10 units: it should set the bond to 1", async () => {
        const f = await networkHelpers.loadFixture(treeFixture);
        const start = (await time.latest()) + DAY;
        const { params } = await import("../helpers/vault.js");
        const p = params(start, f.charity.address, { amount: 8n });
        await f.vault.connect(f.bob).createCommitment(p, { value: 8n });
        expect(await f.vault.appealBond(3, 0)).to.equal(1n);
      });
    });
  });
});

describe("resolveAppeal", () => {
  it("when the caller is not an arbiter: it should revert with AccessControlUnauthorizedAccount", async () => {
    const f = await networkHelpers.loadFixture(appealedFixture);
    await expect(f.vault.connect(f.admin).resolveAppeal(f.ethId, 0, true))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.admin.address, await f.vault.ARBITER_ROLE());
  });

  describe("when the caller is an arbiter", () => {
    it("when the milestone is not Appealed: it should revert with MilestoneNotAppealed", async () => {
      const f = await networkHelpers.loadFixture(appealedFixture);
      await expect(f.vault.connect(f.arbiter).resolveAppeal(f.ethId, 1, true))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotAppealed")
        .withArgs(f.ethId, 1, State.Open);
    });

    it("when the vault is paused: it should revert with VaultPaused", async () => {
      const f = await networkHelpers.loadFixture(appealedFixture);
      await f.vault.connect(f.admin).pause();
      await expect(f.vault.connect(f.arbiter).resolveAppeal(f.ethId, 0, true)).to.be.revertedWithCustomError(
        f.vault,
        "VaultPaused",
      );
    });

    it("when upheld: it should mark the milestone Released and push the share and the bond to the owner", async () => {
      const f = await networkHelpers.loadFixture(appealedFixture);
      const tx = f.vault.connect(f.arbiter).resolveAppeal(f.ethId, 0, true);
      await expect(tx).to.emit(f.vault, "AppealResolved").withArgs(f.ethId, 0, true);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(f.ethId, 0, f.alice.address, ETH_SHARE, ethers.ZeroHash);
      await expect(tx).to.changeEtherBalances(
        ethers,
        [f.alice, f.vault],
        [ETH_SHARE + ETH_BOND, -(ETH_SHARE + ETH_BOND)],
      );
      expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Released);
      await expect(f.vault.connect(f.arbiter).resolveAppeal(f.ethId, 0, true))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotAppealed")
        .withArgs(f.ethId, 0, State.Released);
    });

    it("when not upheld: it should mark the milestone Slashed and credit the share and the bond to the beneficiary", async () => {
      const f = await networkHelpers.loadFixture(appealedFixture);
      const tx = f.vault.connect(f.arbiter).resolveAppeal(f.usdcId, 0, false);
      await expect(tx).to.emit(f.vault, "AppealResolved").withArgs(f.usdcId, 0, false);
      await expect(tx)
        .to.emit(f.vault, "MilestoneSlashed")
        .withArgs(f.usdcId, 0, f.charity.address, USDC_SHARE);
      await expect(tx)
        .to.emit(f.vault, "Credited")
        .withArgs(f.charity.address, await f.usdc.getAddress(), USDC_SHARE + USDC_BOND);
      expect(await f.vault.milestoneState(f.usdcId, 0)).to.equal(State.Slashed);
      expect(await f.vault.credits(f.charity, f.usdc)).to.equal(USDC_SHARE + USDC_BOND);
    });
  });
});

describe("expireAppeal", () => {
  it("when the milestone is not Appealed: it should revert with MilestoneNotAppealed", async () => {
    const f = await networkHelpers.loadFixture(appealedFixture);
    await expect(f.vault.expireAppeal(f.ethId, 1))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotAppealed")
      .withArgs(f.ethId, 1, State.Open);
  });

  describe("when APPEAL_PERIOD of unpaused time has not passed", () => {
    it("it should revert with AppealPeriodNotOver", async () => {
      const f = await networkHelpers.loadFixture(appealedFixture);
      expect(await f.vault.APPEAL_PERIOD()).to.equal(BigInt(APPEAL_PERIOD));
      const ethAppealedAt = f.appealedAt - 1;
      await time.setNextBlockTimestamp(ethAppealedAt + APPEAL_PERIOD - 1);
      await expect(f.vault.expireAppeal(f.ethId, 0))
        .to.be.revertedWithCustomError(f.vault, "AppealPeriodNotOver")
        .withArgs(f.ethId, 0, ethAppealedAt + APPEAL_PERIOD);
    });

    it("given a pause since the appeal: it should not count the paused time", async () => {
      const f = await networkHelpers.loadFixture(appealedFixture);
      await f.vault.connect(f.admin).pause();
      await time.increase(5 * DAY - 1);
      await f.vault.connect(f.admin).unpause();
      const ethAppealedAt = f.appealedAt - 1;
      const expiresAt = ethAppealedAt + APPEAL_PERIOD + 5 * DAY;
      await time.setNextBlockTimestamp(expiresAt - 1);
      await expect(f.vault.expireAppeal(f.ethId, 0))
        .to.be.revertedWithCustomError(f.vault, "AppealPeriodNotOver")
        .withArgs(f.ethId, 0, expiresAt);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(f.vault.expireAppeal(f.ethId, 0)).to.emit(f.vault, "AppealExpired").withArgs(f.ethId, 0);
    });
  });

  it("when APPEAL_PERIOD of unpaused time has passed: it should mark the milestone Refunded and push the share and the bond to the owner", async () => {
    const f = await networkHelpers.loadFixture(appealedFixture);
    await time.increaseTo(f.appealedAt + APPEAL_PERIOD);
    const tx = f.vault.connect(f.keeper).expireAppeal(f.usdcId, 0);
    await expect(tx).to.emit(f.vault, "AppealExpired").withArgs(f.usdcId, 0);
    await expect(tx).to.changeTokenBalances(
      ethers,
      f.usdc,
      [f.alice, f.vault],
      [USDC_SHARE + USDC_BOND, -(USDC_SHARE + USDC_BOND)],
    );
    expect(await f.vault.milestoneState(f.usdcId, 0)).to.equal(State.Refunded);
    expect((await f.vault.milestoneStates(f.usdcId))[0]).to.equal(3n);
    await expect(f.vault.expireAppeal(f.usdcId, 0))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotAppealed")
      .withArgs(f.usdcId, 0, State.Refunded);
    await expect(f.vault.slash(f.usdcId, 0))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
      .withArgs(f.usdcId, 0, State.Refunded);
  });

  it("when a late quorum settles the Appealed milestone first: it should pay the share and the bond to the owner through claimMilestone", async () => {
    const f = await networkHelpers.loadFixture(appealedFixture);
    await time.increaseTo(f.deadline(0) + 3 * DAY);
    const validUntil = (await time.latest()) + DAY;
    const sigs = await quorum(f, f.ethId, 0, validUntil);
    const tx = f.vault.connect(f.keeper).claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, sigs);
    await expect(tx)
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(f.ethId, 0, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
    await expect(tx).to.changeEtherBalance(ethers, f.alice, ETH_SHARE + ETH_BOND);
    expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Released);
    expect(await f.vault.credits(f.alice, ZERO_ADDRESS)).to.equal(0n);
    expect(GRACE).to.be.greaterThan(0);
  });
});
