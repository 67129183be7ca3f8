/**
 * Attacks on the v2 paths: appeals (griefing, escaping a deadline, re-entering a ruling's payout), exit by anyone,
 * and a guardian trying to keep an owner from claiming or the charity from being paid.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { ETH_BOND, ETH_SHARE, makeTreeFixture, quorum, State } from "./helpers/trees.js";
import { DAY, EVIDENCE_HASH, params, ZERO_ADDRESS } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const treeFixture = makeTreeFixture(ethers, networkHelpers);

describe("CommitmentVault: v2 attacks", () => {
  it("a stranger cannot appeal someone else's milestone to stall its slash", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.end(0) + 1);
    await expect(f.vault.connect(f.charity).appeal(f.ethId, 0, { value: ETH_BOND }))
      .to.be.revertedWithCustomError(f.vault, "NotCommitmentOwner")
      .withArgs(f.ethId, f.charity.address);
  });

  it("an owner cannot appeal a milestone already forfeited (deadline passed) to claw it back", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.deadline(0));
    await expect(f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND }))
      .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
      .withArgs(f.ethId, 0, f.deadline(0));
    await f.vault.slash(f.ethId, 0);
    expect(await f.vault.milestoneState(f.ethId, 0)).to.equal(State.Slashed);
  });

  it("a rejected appeal costs the owner the bond; the charity gets share and bond", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.end(0) + 1);
    await f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
    await f.vault.connect(f.arbiter).resolveAppeal(f.ethId, 0, false);
    await expect(f.vault.connect(f.charity).withdraw(ZERO_ADDRESS)).to.changeEtherBalance(
      ethers,
      f.charity,
      ETH_SHARE + ETH_BOND,
    );
  });

  it("a payee re-entering during a ruling's payout is refused with ReentrantCall", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    const receiver = await ethers.deployContract("ReentrantReceiver");
    const p = params(f.start, f.charity.address);
    await f.vault.connect(f.bob).createCommitmentFor(receiver, p, { value: p.amount });
    await time.increaseTo(f.end(0) + 1);
    // The receiver owns commitment 3: it appeals milestone 0 through its execute() hook.
    await receiver.execute(f.vault, f.vault.interface.encodeFunctionData("appeal", [3, 0]), {
      value: ETH_BOND,
    });
    await receiver.setReentry(f.vault, f.vault.interface.encodeFunctionData("expireAppeal", [3, 0]));
    await expect(f.vault.connect(f.arbiter).resolveAppeal(3, 0, true)).to.emit(f.vault, "AppealResolved");
    expect(await receiver.reentrySucceeded()).to.equal(false);
    expect(await receiver.reentryRevertHash()).to.equal(
      ethers.keccak256(f.vault.interface.encodeErrorResult("ReentrantCall", [await receiver.getAddress()])),
    );
    expect(await f.vault.milestoneState(3, 0)).to.equal(State.Released);
  });

  it("an appeal and a late quorum in one block settle once: the second reverts MilestoneNotAppealed", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.end(0) + 1);
    await f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
    const validUntil = (await time.latest()) + DAY;
    const sigs = await quorum(f, f.ethId, 0, validUntil);
    await f.vault.connect(f.keeper).claimMilestone(f.ethId, 0, EVIDENCE_HASH, validUntil, sigs);
    await expect(f.vault.connect(f.arbiter).resolveAppeal(f.ethId, 0, false))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotAppealed")
      .withArgs(f.ethId, 0, State.Released);
  });

  it("a guardian cannot stretch the appeal period by pausing: paused time is added, nothing more", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.end(0) + 1);
    await f.vault.connect(f.alice).appeal(f.ethId, 0, { value: ETH_BOND });
    const appealedAt = await time.latest();
    for (let k = 0; k < 5; k++) {
      await f.vault.connect(f.admin).pause();
      await f.vault.connect(f.admin).unpause();
    }
    // Ten one-second blocks: five pauses of one second each.
    await time.setNextBlockTimestamp(appealedAt + 14 * DAY + 5);
    await expect(f.vault.expireAppeal(f.ethId, 0)).to.emit(f.vault, "AppealExpired");
  });

  it("exit by a stranger cannot redirect money: the owner gets the refund, the charity the forfeits", async () => {
    const f = await networkHelpers.loadFixture(treeFixture);
    await time.increaseTo(f.deadline(0) + 1);
    await f.vault.connect(f.admin).pause();
    await time.increase(30 * DAY);
    const tx = f.vault.connect(f.bob).exit(f.ethId);
    await expect(tx).to.changeEtherBalances(ethers, [f.bob, f.alice], [0n, 7n * ETH_SHARE]);
    await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, ZERO_ADDRESS, ETH_SHARE);
  });
});
