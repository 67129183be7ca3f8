/** Mirrors test/trees/pool/claimWinnings.tree branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import {
  CLAIMED,
  challengeParams,
  ETH_STAKE,
  FINISHED,
  JOINED,
  makePoolFixture,
  NONE,
  OUT,
  type PoolFixture,
  playOut,
  USDC_STAKE,
} from "../../helpers/pool.js";
import { DAY, ZERO_ADDRESS } from "../../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const poolFixture = makePoolFixture(ethers);

/** Pot of `played`: carol's second share (0.5 ETH) and dave's stake (1 ETH); 5 % fee; alice and bob finish. */
const POT = (3n * ETH_STAKE) / 2n;
const EACH = (POT * 9_500n) / 10_000n / 2n;

/** One ETH challenge (id 1) played out: alice and bob finish, carol misses one week, dave both. Nobody settled. */
async function played() {
  const f = await networkHelpers.loadFixture(poolFixture);
  await (await f.pool.createChallenge(challengeParams((await time.latest()) + DAY, f))).wait();
  for (const who of [f.alice, f.bob, f.carol, f.dave])
    await f.pool.connect(who).join(1, { value: ETH_STAKE });
  await playOut(f, networkHelpers, 1n, [
    [f.alice, "RR"],
    [f.bob, "RR"],
    [f.carol, "RS"],
    [f.dave, "SS"],
  ]);
  return f;
}

async function settleAll(f: PoolFixture) {
  for (const who of [f.alice, f.bob, f.carol, f.dave]) await f.pool.settleParticipant(1, who);
}

describe("claimWinnings", () => {
  it("when the reentrancy flag is taken: it should revert with ReentrantCall", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const receiver = await ethers.deployContract("ReentrantReceiver");
    const receiverAddress = await receiver.getAddress();
    await f.pool.createChallenge(challengeParams((await time.latest()) + DAY, f, { feeBps: 0 }));
    await receiver.execute(f.pool, f.pool.interface.encodeFunctionData("join", [1n]), { value: ETH_STAKE });
    await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [{ address: receiverAddress }, "RR"],
      [f.alice, "SS"],
    ]);
    await f.pool.settleParticipant(1, receiver);
    await f.pool.settleParticipant(1, f.alice);
    // The receiver re-enters claimWinnings while it is being paid: the flag is taken, it is paid once.
    const claimData = f.pool.interface.encodeFunctionData("claimWinnings", [1n]);
    await receiver.setReentry(f.pool, claimData);
    await expect(receiver.execute(f.pool, claimData)).to.changeEtherBalance(ethers, receiver, ETH_STAKE);
    expect(await receiver.attempted()).to.equal(true);
    expect(await receiver.reentrySucceeded()).to.equal(false);
    expect(await receiver.reentryRevertHash()).to.equal(
      ethers.keccak256(f.pool.interface.encodeErrorResult("ReentrantCall", [receiverAddress])),
    );
  });

  describe("when the reentrancy flag is free", () => {
    it("when the challenge does not exist: it should revert with ChallengeNotFound", async () => {
      const f = await played();
      await expect(f.pool.connect(f.alice).claimWinnings(7))
        .to.be.revertedWithCustomError(f.pool, "ChallengeNotFound")
        .withArgs(7);
    });

    it("when the caller already claimed: it should revert with AlreadyClaimed", async () => {
      const f = await played();
      await settleAll(f);
      await f.pool.connect(f.alice).claimWinnings(1);
      await expect(f.pool.connect(f.alice).claimWinnings(1))
        .to.be.revertedWithCustomError(f.pool, "AlreadyClaimed")
        .withArgs(1, f.alice.address);
    });

    describe("when the caller is not a finisher", () => {
      it("given the caller never joined: it should revert with NotFinisher(None)", async () => {
        const f = await played();
        await settleAll(f);
        await expect(f.pool.connect(f.outsider).claimWinnings(1))
          .to.be.revertedWithCustomError(f.pool, "NotFinisher")
          .withArgs(1, f.outsider.address, NONE);
      });

      it("given the caller is not settled yet: it should revert with NotFinisher(Joined)", async () => {
        const f = await played();
        await expect(f.pool.connect(f.alice).claimWinnings(1))
          .to.be.revertedWithCustomError(f.pool, "NotFinisher")
          .withArgs(1, f.alice.address, JOINED);
      });

      it("given the caller is out: it should revert with NotFinisher(Out)", async () => {
        const f = await played();
        await settleAll(f);
        await expect(f.pool.connect(f.carol).claimWinnings(1))
          .to.be.revertedWithCustomError(f.pool, "NotFinisher")
          .withArgs(1, f.carol.address, OUT);
      });
    });

    it("when not every participant is settled: it should revert with ChallengeNotSettled", async () => {
      const f = await played();
      await f.pool.settleParticipant(1, f.alice);
      await f.pool.settleParticipant(1, f.carol);
      await expect(f.pool.connect(f.alice).claimWinnings(1))
        .to.be.revertedWithCustomError(f.pool, "ChallengeNotSettled")
        .withArgs(1, 2, 4);
      expect(await f.pool.statusOf(1, f.alice)).to.equal(FINISHED);
    });

    describe("when the caller is a finisher of a settled challenge", () => {
      it("given the pool holds less than the winnings: it should mark the caller Claimed, withdraw the pool's vault credits first, pay the winnings and emit WinningsClaimed", async () => {
        const f = await played();
        await settleAll(f);
        const pool = await f.pool.getAddress();
        expect(await ethers.provider.getBalance(pool)).to.equal(0n);
        expect(await f.vault.credits(pool, ZERO_ADDRESS)).to.equal(POT);
        const tx = f.pool.connect(f.alice).claimWinnings(1);
        await expect(tx).to.emit(f.vault, "Withdrawn").withArgs(pool, ZERO_ADDRESS, POT);
        await expect(tx).to.emit(f.pool, "WinningsClaimed").withArgs(1, f.alice.address, EACH);
        await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.pool, f.vault], [EACH, POT - EACH, -POT]);
        expect(await f.pool.statusOf(1, f.alice)).to.equal(CLAIMED);
        expect(await f.pool.winningsOf(1, f.alice)).to.equal(0n);
        expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(POT - EACH);
      });

      it("given the pool already holds the winnings: it should pay from its balance without a vault withdrawal", async () => {
        const f = await played();
        await settleAll(f);
        await f.pool.connect(f.alice).claimWinnings(1);
        const tx = f.pool.connect(f.bob).claimWinnings(1);
        await expect(tx).to.emit(f.pool, "WinningsClaimed").withArgs(1, f.bob.address, EACH);
        await expect(tx).not.to.emit(f.vault, "Withdrawn");
        await expect(tx).to.changeEtherBalances(ethers, [f.bob, f.pool], [EACH, -EACH]);
        // What stays is the fee plus dust, credited to the fee recipient.
        expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(POT - 2n * EACH);
        expect(await f.pool.credits(f.feeRecipient, ZERO_ADDRESS)).to.equal(POT - 2n * EACH);
      });

      it("given nothing was slashed: it should pay nothing and move no value", async () => {
        const f = await networkHelpers.loadFixture(poolFixture);
        await f.pool.createChallenge(challengeParams((await time.latest()) + DAY, f));
        for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
        await playOut(f, networkHelpers, 1n, [
          [f.alice, "RR"],
          [f.bob, "RR"],
        ]);
        await f.pool.settleParticipant(1, f.alice);
        await f.pool.settleParticipant(1, f.bob);
        const tx = f.pool.connect(f.alice).claimWinnings(1);
        await expect(tx).to.emit(f.pool, "WinningsClaimed").withArgs(1, f.alice.address, 0);
        await expect(tx).not.to.emit(f.vault, "Withdrawn");
        await expect(tx).to.changeEtherBalances(ethers, [f.pool, f.vault], [0n, 0n]);
        expect(await f.pool.statusOf(1, f.alice)).to.equal(CLAIMED);
      });

      it("given an ERC-20 challenge: it should transfer the winnings in that token", async () => {
        const f = await networkHelpers.loadFixture(poolFixture);
        const token = await f.usdc.getAddress();
        await f.pool.createChallenge(
          challengeParams((await time.latest()) + DAY, f, { token, stake: USDC_STAKE, milestones: 3 }),
        );
        for (const who of [f.alice, f.bob, f.carol]) {
          await f.usdc.connect(who).approve(f.pool, USDC_STAKE);
          await f.pool.connect(who).join(1);
        }
        // 100 USDC over 3 milestones: shares 33,333,333 / 33,333,333 / 33,333,334; carol misses the last.
        await playOut(f, networkHelpers, 1n, [
          [f.alice, "RRR"],
          [f.bob, "RRR"],
          [f.carol, "RRS"],
        ]);
        for (const who of [f.alice, f.bob, f.carol]) await f.pool.settleParticipant(1, who);
        const each = (33_333_334n * 9_500n) / 10_000n / 2n;
        const tx = f.pool.connect(f.alice).claimWinnings(1);
        await expect(tx).to.emit(f.pool, "WinningsClaimed").withArgs(1, f.alice.address, each);
        await expect(tx).to.changeTokenBalance(ethers, f.usdc, f.alice, each);
        await expect(tx).to.changeEtherBalance(ethers, f.alice, 0n);
      });

      it("given the finisher rejects ETH: it should revert with EtherTransferFailed", async () => {
        const f = await networkHelpers.loadFixture(poolFixture);
        const receiver = await ethers.deployContract("RevertingReceiver");
        const receiverAddress = await receiver.getAddress();
        await f.pool.createChallenge(challengeParams((await time.latest()) + DAY, f, { feeBps: 0 }));
        await receiver.execute(f.pool, f.pool.interface.encodeFunctionData("join", [1n]), {
          value: ETH_STAKE,
        });
        await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
        await playOut(f, networkHelpers, 1n, [
          [{ address: receiverAddress }, "RR"],
          [f.alice, "SS"],
        ]);
        await f.pool.settleParticipant(1, receiver);
        await f.pool.settleParticipant(1, f.alice);
        const claimData = f.pool.interface.encodeFunctionData("claimWinnings", [1n]);
        await expect(receiver.execute(f.pool, claimData))
          .to.be.revertedWithCustomError(f.pool, "EtherTransferFailed")
          .withArgs(receiverAddress, ETH_STAKE);
        // Nothing changed: the finisher can claim once it accepts ETH.
        expect(await f.pool.statusOf(1, receiver)).to.equal(FINISHED);
        await receiver.setRejecting(false);
        await expect(receiver.execute(f.pool, claimData)).to.changeEtherBalance(ethers, receiver, ETH_STAKE);
      });
    });
  });
});
