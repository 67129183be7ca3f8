/** Mirrors test/trees/pool/withdraw.tree (withdraw, withdrawFor, sweepSurplus, receive) branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import {
  challengeParams,
  ETH_STAKE,
  makePoolFixture,
  type PoolFixture,
  playOut,
} from "../../helpers/pool.js";
import { DAY, WEEK, ZERO_ADDRESS } from "../../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const poolFixture = makePoolFixture(ethers);

/** Pot when alice misses one week and bob both: 1.5 ETH, all of it the fallback beneficiary's credit. */
const POT = ETH_STAKE + ETH_STAKE / 2n;

/**
 * One ETH challenge nobody finishes, settled: the fallback beneficiary holds a credit of POT. With `rejecting`, the
 * fallback beneficiary is a RevertingReceiver (deployed after the fixture's snapshot is restored).
 */
async function nobodyFinished(rejecting = false) {
  const f = await networkHelpers.loadFixture(poolFixture);
  const receiver = await ethers.deployContract("RevertingReceiver");
  const overrides = rejecting ? { fallbackBeneficiary: await receiver.getAddress() } : {};
  await f.pool.createChallenge(challengeParams((await time.latest()) + DAY, f, overrides));
  for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
  await playOut(f, networkHelpers, 1n, [
    [f.alice, "RS"],
    [f.bob, "SS"],
  ]);
  await f.pool.settleParticipant(1, f.alice);
  await f.pool.settleParticipant(1, f.bob);
  return Object.assign(f, { receiver });
}

/** A solo commitment naming the pool as beneficiary, slashed: 1,000 wei the pool holds but owes nobody. */
async function withDonation() {
  const f = await networkHelpers.loadFixture(poolFixture);
  const p = challengeParams((await time.latest()) + DAY, f);
  await f.pool.createChallenge(p);
  await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
  const pool = await f.pool.getAddress();
  await f.vault.connect(f.bob).createCommitment(
    {
      token: ZERO_ADDRESS,
      amount: 1000n,
      start: p.start,
      period: WEEK,
      milestones: 1,
      grace: DAY,
      beneficiary: pool,
      rulesHash: p.rulesHash,
    },
    { value: 1000n },
  );
  await playOut(f, networkHelpers, 1n, [[f.alice, "SS"]]);
  await f.vault.slash(2, 0);
  await f.pool.settleParticipant(1, f.alice);
  return { f, pool };
}

async function poolHolds(f: PoolFixture): Promise<bigint> {
  const pool = await f.pool.getAddress();
  return (await ethers.provider.getBalance(pool)) + (await f.vault.credits(pool, ZERO_ADDRESS));
}

describe("withdraw", () => {
  it("when the caller has no credit in the token: it should revert with NothingToWithdraw", async () => {
    const f = await nobodyFinished();
    await expect(f.pool.connect(f.alice).withdraw(ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.pool, "NothingToWithdraw")
      .withArgs(f.alice.address, ZERO_ADDRESS);
    await expect(f.pool.connect(f.fallback).withdraw(f.usdc))
      .to.be.revertedWithCustomError(f.pool, "NothingToWithdraw")
      .withArgs(f.fallback.address, await f.usdc.getAddress());
  });

  describe("when the caller has a credit in the token", () => {
    it("given the payee accepts it: it should zero the credit, lower the liabilities, pay the credit and emit Withdrawn", async () => {
      const f = await nobodyFinished();
      expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(POT);
      const tx = f.pool.connect(f.fallback).withdraw(ZERO_ADDRESS);
      await expect(tx).to.emit(f.pool, "Withdrawn").withArgs(f.fallback.address, ZERO_ADDRESS, POT);
      await expect(tx).to.changeEtherBalances(ethers, [f.fallback, f.vault], [POT, -POT]);
      expect(await f.pool.credits(f.fallback, ZERO_ADDRESS)).to.equal(0n);
      expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(0n);
      expect(await poolHolds(f)).to.equal(0n);
    });

    it("given the payee rejects ETH: it should revert with EtherTransferFailed and keep the credit", async () => {
      const f = await nobodyFinished(true);
      const { receiver } = f;
      const receiverAddress = await receiver.getAddress();
      const data = f.pool.interface.encodeFunctionData("withdraw", [ZERO_ADDRESS]);
      await expect(receiver.execute(f.pool, data))
        .to.be.revertedWithCustomError(f.pool, "EtherTransferFailed")
        .withArgs(receiverAddress, POT);
      expect(await f.pool.credits(receiver, ZERO_ADDRESS)).to.equal(POT);
      expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(POT);
      await receiver.setRejecting(false);
      await expect(receiver.execute(f.pool, data)).to.changeEtherBalance(ethers, receiver, POT);
    });
  });
});

describe("withdrawFor", () => {
  it("when the account has no credit in the token: it should revert with NothingToWithdraw", async () => {
    const f = await nobodyFinished();
    await expect(f.pool.connect(f.outsider).withdrawFor(f.feeRecipient, ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.pool, "NothingToWithdraw")
      .withArgs(f.feeRecipient.address, ZERO_ADDRESS);
  });

  it("when the account has a credit in the token: it should pay the account whoever calls", async () => {
    const f = await nobodyFinished();
    const tx = f.pool.connect(f.outsider).withdrawFor(f.fallback, ZERO_ADDRESS);
    await expect(tx).to.emit(f.pool, "Withdrawn").withArgs(f.fallback.address, ZERO_ADDRESS, POT);
    await expect(tx).to.changeEtherBalances(ethers, [f.fallback, f.outsider], [POT, 0n]);
    expect(await f.pool.credits(f.fallback, ZERO_ADDRESS)).to.equal(0n);
  });
});

describe("sweepSurplus", () => {
  it("when the caller is not the owner: it should revert with OwnableUnauthorizedAccount", async () => {
    const { f } = await withDonation();
    await expect(f.pool.connect(f.outsider).sweepSurplus(ZERO_ADDRESS, f.outsider))
      .to.be.revertedWithCustomError(f.pool, "OwnableUnauthorizedAccount")
      .withArgs(f.outsider.address);
  });

  describe("when the caller is the owner", () => {
    it("when the recipient is the zero address: it should revert with InvalidRecipient", async () => {
      const { f } = await withDonation();
      await expect(f.pool.connect(f.admin).sweepSurplus(ZERO_ADDRESS, ZERO_ADDRESS))
        .to.be.revertedWithCustomError(f.pool, "InvalidRecipient")
        .withArgs(ZERO_ADDRESS);
    });

    it("when the pool holds no more than its liabilities: it should revert with NoSurplus", async () => {
      const f = await nobodyFinished();
      await expect(f.pool.connect(f.admin).sweepSurplus(ZERO_ADDRESS, f.charity))
        .to.be.revertedWithCustomError(f.pool, "NoSurplus")
        .withArgs(ZERO_ADDRESS, POT, POT);
      await expect(f.pool.connect(f.admin).sweepSurplus(f.usdc, f.charity))
        .to.be.revertedWithCustomError(f.pool, "NoSurplus")
        .withArgs(await f.usdc.getAddress(), 0, 0);
    });

    it("when the pool holds more than its liabilities: it should send exactly the surplus and leave the pots whole", async () => {
      const { f } = await withDonation();
      expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(ETH_STAKE);
      expect(await poolHolds(f)).to.equal(ETH_STAKE + 1000n);
      const tx = f.pool.connect(f.admin).sweepSurplus(ZERO_ADDRESS, f.charity);
      await expect(tx).to.emit(f.pool, "SurplusSwept").withArgs(ZERO_ADDRESS, f.charity.address, 1000n);
      await expect(tx).to.changeEtherBalance(ethers, f.charity, 1000n);
      expect(await poolHolds(f)).to.equal(ETH_STAKE);
      expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(ETH_STAKE);
      // The pot is still whole: the fallback beneficiary withdraws all of it.
      await expect(f.pool.connect(f.fallback).withdraw(ZERO_ADDRESS)).to.changeEtherBalance(
        ethers,
        f.fallback,
        ETH_STAKE,
      );
    });
  });
});

describe("receive", () => {
  it("when the sender is not the vault: it should revert with UnexpectedEther", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    await expect(f.outsider.sendTransaction({ to: f.pool, value: 1n }))
      .to.be.revertedWithCustomError(f.pool, "UnexpectedEther")
      .withArgs(f.outsider.address);
  });

  it("when the sender is the vault: it should accept the ETH", async () => {
    const f = await nobodyFinished();
    const pool = await f.pool.getAddress();
    // Anyone may push the pool's vault credits to it; the vault's ETH send lands in receive().
    const tx = f.vault.connect(f.outsider).withdrawFor(pool, ZERO_ADDRESS);
    await expect(tx).to.emit(f.vault, "Withdrawn").withArgs(pool, ZERO_ADDRESS, POT);
    await expect(tx).to.changeEtherBalances(ethers, [f.pool, f.vault], [POT, -POT]);
  });
});
