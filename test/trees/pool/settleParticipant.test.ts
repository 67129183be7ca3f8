/** Mirrors test/trees/pool/settleParticipant.tree branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import {
  challengeParams,
  claim,
  ETH_STAKE,
  FINISHED,
  JOINED,
  makePoolFixture,
  OUT,
  type PoolFixture,
  playOut,
} from "../../helpers/pool.js";
import { DAY, WEEK, ZERO_ADDRESS } from "../../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const poolFixture = makePoolFixture(ethers);

type Overrides = Parameters<typeof challengeParams>[2];

/** One ETH challenge (id 1) from a day ahead (2 weekly milestones, 1 day of grace, 5 % fee) joined by `who`. */
async function joined(who: (f: PoolFixture) => { address: string }[], overrides: Overrides = {}) {
  const f = await networkHelpers.loadFixture(poolFixture);
  const p = challengeParams((await time.latest()) + DAY, f, overrides);
  await (await f.pool.createChallenge(p)).wait();
  const signers = await ethers.getSigners();
  for (const { address } of who(f)) {
    const signer = signers.find((s) => s.address === address);
    if (!signer) throw new Error(`no signer ${address}`);
    await (await f.pool.connect(signer).join(1, { value: p.stake })).wait();
  }
  return { f, p };
}

describe("settleParticipant", () => {
  it("when the challenge does not exist: it should revert with ChallengeNotFound", async () => {
    const { f } = await joined((f) => [f.alice]);
    for (const id of [0, 2]) {
      await expect(f.pool.settleParticipant(id, f.alice))
        .to.be.revertedWithCustomError(f.pool, "ChallengeNotFound")
        .withArgs(id);
    }
  });

  it("when the join period is not over: it should revert with JoinPeriodNotOver", async () => {
    // Joins close a day before the start; alice cancels her commitment, so all her milestones are settled.
    const start = (await time.latest()) + 2 * DAY;
    const { f, p } = await joined((f) => [f.alice], {
      start: BigInt(start),
      joinDeadline: BigInt(start - DAY),
    });
    await f.vault.connect(f.alice).cancel(1);
    await time.setNextBlockTimestamp(p.joinDeadline - 1n);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "JoinPeriodNotOver")
      .withArgs(1, p.joinDeadline);
  });

  it("when the address never joined: it should revert with NotParticipant", async () => {
    const { f, p } = await joined((f) => [f.alice]);
    await time.increaseTo(p.start);
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.be.revertedWithCustomError(f.pool, "NotParticipant")
      .withArgs(1, f.bob.address);
  });

  it("when the participant is already settled: it should revert with AlreadySettled", async () => {
    const { f } = await joined((f) => [f.alice, f.bob]);
    await playOut(f, networkHelpers, 1n, [[f.alice, "RS"]]);
    await f.pool.settleParticipant(1, f.alice);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "AlreadySettled")
      .withArgs(1, f.alice.address, OUT);
  });

  it("when a milestone is still Open or Appealed: it should revert with MilestoneUnsettled", async () => {
    const { f, p } = await joined((f) => [f.alice, f.bob]);
    await time.increaseTo(p.start);
    // Open: milestone 0 of both.
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "MilestoneUnsettled")
      .withArgs(1, f.alice.address, 0);
    // Appealed: alice claims milestone 0 and appeals milestone 1 once its window ended.
    await claim(f, networkHelpers, 1n, 0);
    await time.increaseTo(Number(p.start) + 2 * WEEK + 1);
    await f.vault.connect(f.alice).appeal(1, 1, { value: await f.vault.appealBond(1, 1) });
    await time.increaseTo(Number(p.start) + 2 * WEEK + DAY + 1);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "MilestoneUnsettled")
      .withArgs(1, f.alice.address, 1);
    expect(await f.pool.statusOf(1, f.alice)).to.equal(JOINED);
  });

  describe("when every milestone is settled", () => {
    it("given every milestone Released: it should mark the participant Finished with nothing lost", async () => {
      const { f } = await joined((f) => [f.alice, f.bob]);
      await playOut(f, networkHelpers, 1n, [[f.alice, "RR"]]);
      await expect(f.pool.connect(f.outsider).settleParticipant(1, f.alice))
        .to.emit(f.pool, "ParticipantSettled")
        .withArgs(1, f.alice.address, true, 0)
        .and.not.to.emit(f.pool, "ChallengeClosed");
      expect(await f.pool.statusOf(1, f.alice)).to.equal(FINISHED);
      expect((await f.pool.challenge(1)).slice(1)).to.deep.equal([2n, 1n, 1n, 0n]);
      expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(0n);
    });

    it("given a Slashed milestone: it should mark the participant Out and add the slashed share to the pot and the liabilities", async () => {
      const { f } = await joined((f) => [f.alice, f.bob]);
      await playOut(f, networkHelpers, 1n, [[f.alice, "SR"]]);
      await expect(f.pool.settleParticipant(1, f.alice))
        .to.emit(f.pool, "ParticipantSettled")
        .withArgs(1, f.alice.address, false, ETH_STAKE / 2n);
      expect(await f.pool.statusOf(1, f.alice)).to.equal(OUT);
      expect((await f.pool.challenge(1)).slice(1)).to.deep.equal([2n, 1n, 0n, ETH_STAKE / 2n]);
      expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(ETH_STAKE / 2n);
    });

    it("given the last milestone Slashed: it should count the stake's rounding remainder with the last share", async () => {
      // 1,000,000,001 over 2 milestones: shares 500,000,000 and 500,000,001.
      const stake = 1_000_000_001n;
      const { f } = await joined((f) => [f.alice, f.bob, f.carol], { stake });
      await playOut(f, networkHelpers, 1n, [
        [f.alice, "RS"],
        [f.bob, "SR"],
        [f.carol, "SS"],
      ]);
      await expect(f.pool.settleParticipant(1, f.alice))
        .to.emit(f.pool, "ParticipantSettled")
        .withArgs(1, f.alice.address, false, 500_000_001n);
      await expect(f.pool.settleParticipant(1, f.bob))
        .to.emit(f.pool, "ParticipantSettled")
        .withArgs(1, f.bob.address, false, 500_000_000n);
      await expect(f.pool.settleParticipant(1, f.carol))
        .to.emit(f.pool, "ParticipantSettled")
        .withArgs(1, f.carol.address, false, stake);
      expect((await f.pool.challenge(1))[4]).to.equal(2n * stake);
    });

    it("given Refunded milestones and none Slashed: it should mark the participant Out and add nothing to the pot", async () => {
      const start = (await time.latest()) + 2 * DAY;
      const { f, p } = await joined((f) => [f.alice, f.bob], {
        start: BigInt(start),
        joinDeadline: BigInt(start - DAY),
      });
      await expect(f.vault.connect(f.alice).cancel(1)).to.changeEtherBalance(ethers, f.alice, ETH_STAKE);
      await time.increaseTo(p.joinDeadline);
      await expect(f.pool.settleParticipant(1, f.alice))
        .to.emit(f.pool, "ParticipantSettled")
        .withArgs(1, f.alice.address, false, 0);
      expect(await f.pool.statusOf(1, f.alice)).to.equal(OUT);
      expect((await f.pool.challenge(1)).slice(1)).to.deep.equal([2n, 1n, 0n, 0n]);
    });

    it("given milestones from 64 on: it should read them from packedHigh", async () => {
      const { f, p } = await joined((f) => [f.alice, f.bob], {
        milestones: 104,
        period: 3600,
        grace: 0,
        stake: 104n,
      });
      await time.increaseTo(Number(p.start) + 104 * 3600);
      // Only 70 and 103 (both in packedHigh) slashed: milestone 0 is still Open.
      await f.vault.slash(1, 70);
      await f.vault.slash(1, 103);
      await expect(f.pool.settleParticipant(1, f.alice))
        .to.be.revertedWithCustomError(f.pool, "MilestoneUnsettled")
        .withArgs(1, f.alice.address, 0);
      for (let i = 0; i < 104; i++) if (i !== 70 && i !== 103) await f.vault.slash(1, i);
      await expect(f.pool.settleParticipant(1, f.alice))
        .to.emit(f.pool, "ParticipantSettled")
        .withArgs(1, f.alice.address, false, 104n);
    });

    describe("given the last participant", () => {
      it("given finishers and a remainder: it should close the challenge and credit the fee and the dust to the fee recipient", async () => {
        const stake = 1_000_000_001n;
        const { f } = await joined((f) => [f.alice, f.bob, f.carol], { stake });
        await playOut(f, networkHelpers, 1n, [
          [f.alice, "RR"],
          [f.bob, "RS"],
          [f.carol, "SR"],
        ]);
        await f.pool.settleParticipant(1, f.alice);
        await f.pool.settleParticipant(1, f.bob);
        // Pot 1,000,000,001; 5 % fee; one finisher.
        const each = (stake * 9_500n) / 10_000n;
        const tx = f.pool.settleParticipant(1, f.carol);
        await expect(tx)
          .to.emit(f.pool, "ChallengeClosed")
          .withArgs(1, stake, 1, each, f.feeRecipient.address, stake - each);
        await expect(tx)
          .to.emit(f.pool, "Credited")
          .withArgs(f.feeRecipient.address, ZERO_ADDRESS, stake - each);
        expect(await f.pool.credits(f.feeRecipient, ZERO_ADDRESS)).to.equal(stake - each);
        expect((await f.pool.challenge(1)).slice(1)).to.deep.equal([3n, 3n, 1n, stake]);
        // The liabilities are still the whole pot: the winnings owed plus the fee credit.
        expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(stake);
      });

      it("given finishers and no remainder: it should close the challenge and credit nobody", async () => {
        const { f } = await joined((f) => [f.alice, f.bob], { feeBps: 0 });
        await playOut(f, networkHelpers, 1n, [
          [f.alice, "RR"],
          [f.bob, "SS"],
        ]);
        await f.pool.settleParticipant(1, f.bob);
        await expect(f.pool.settleParticipant(1, f.alice))
          .to.emit(f.pool, "ChallengeClosed")
          .withArgs(1, ETH_STAKE, 1, ETH_STAKE, f.feeRecipient.address, 0)
          .and.not.to.emit(f.pool, "Credited");
        expect(await f.pool.credits(f.feeRecipient, ZERO_ADDRESS)).to.equal(0n);
        expect(await f.pool.winningsOf(1, f.alice)).to.equal(ETH_STAKE);
      });

      it("given no finisher: it should close the challenge and credit the whole pot to the fallback beneficiary", async () => {
        const { f } = await joined((f) => [f.alice, f.bob]);
        await playOut(f, networkHelpers, 1n, [
          [f.alice, "RS"],
          [f.bob, "SS"],
        ]);
        await f.pool.settleParticipant(1, f.alice);
        const pot = ETH_STAKE + ETH_STAKE / 2n;
        const tx = f.pool.settleParticipant(1, f.bob);
        await expect(tx).to.emit(f.pool, "ChallengeClosed").withArgs(1, pot, 0, 0, f.fallback.address, pot);
        await expect(tx).to.emit(f.pool, "Credited").withArgs(f.fallback.address, ZERO_ADDRESS, pot);
        expect(await f.pool.credits(f.fallback, ZERO_ADDRESS)).to.equal(pot);
        expect(await f.pool.credits(f.feeRecipient, ZERO_ADDRESS)).to.equal(0n);
      });
    });
  });
});
