/** Mirrors test/trees/pool/join.tree (join, joinWithPermit) branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import {
  challengeParams,
  ETH_STAKE,
  JOINED,
  makePoolFixture,
  NONE,
  signPermit,
  USDC_STAKE,
} from "../../helpers/pool.js";
import { DAY, ZERO_ADDRESS } from "../../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const poolFixture = makePoolFixture(ethers);

type Overrides = Parameters<typeof challengeParams>[2];

/** One ETH challenge (id 1) from a day ahead, joins until the start. */
async function ethChallenge(overrides: Overrides = {}) {
  const f = await networkHelpers.loadFixture(poolFixture);
  const p = challengeParams((await time.latest()) + DAY, f, overrides);
  await (await f.pool.createChallenge(p)).wait();
  return { f, p };
}

/** One USDC challenge (id 1) from a day ahead; nobody has approved the pool yet. */
async function usdcChallenge(overrides: Overrides = {}) {
  const f = await networkHelpers.loadFixture(poolFixture);
  const token = await f.usdc.getAddress();
  const p = challengeParams((await time.latest()) + DAY, f, { token, stake: USDC_STAKE, ...overrides });
  await (await f.pool.createChallenge(p)).wait();
  return { f, p };
}

describe("join", () => {
  it("when the reentrancy flag is taken: it should revert with ReentrantCall", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const token = await ethers.deployContract("ReentrantToken");
    const tokenAddress = await token.getAddress();
    await f.vault.connect(f.admin).setTokenAllowed(token, true);
    await token.mint(f.alice.address, 10_000n);
    await token.connect(f.alice).approve(f.pool, 1_000n);
    await f.pool.createChallenge(
      challengeParams((await time.latest()) + DAY, f, { token: tokenAddress, stake: 1_000n }),
    );
    // The token calls back into join while the pool pulls the stake: the flag is taken.
    await token.arm(f.pool, f.pool.interface.encodeFunctionData("join", [1n]));
    await expect(f.pool.connect(f.alice).join(1)).to.emit(f.pool, "Joined");
    expect(await token.attempted()).to.equal(true);
    expect(await token.reentrySucceeded()).to.equal(false);
    expect(await token.reentryRevertData()).to.equal(
      f.pool.interface.encodeErrorResult("ReentrantCall", [tokenAddress]),
    );
    expect((await f.pool.challenge(1))[1]).to.equal(1n);
  });

  describe("when the reentrancy flag is free", () => {
    it("when the challenge does not exist: it should revert with ChallengeNotFound", async () => {
      const { f } = await ethChallenge();
      await expect(f.pool.connect(f.alice).join(2, { value: ETH_STAKE }))
        .to.be.revertedWithCustomError(f.pool, "ChallengeNotFound")
        .withArgs(2);
      await expect(f.pool.connect(f.alice).join(0, { value: ETH_STAKE }))
        .to.be.revertedWithCustomError(f.pool, "ChallengeNotFound")
        .withArgs(0);
    });

    it("when the join deadline has passed: it should revert with JoinClosed", async () => {
      const { f, p } = await ethChallenge();
      await time.setNextBlockTimestamp(p.joinDeadline);
      await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE }))
        .to.be.revertedWithCustomError(f.pool, "JoinClosed")
        .withArgs(1, p.joinDeadline);
    });

    it("when the challenge is full: it should revert with ChallengeFull", async () => {
      const { f } = await ethChallenge({ maxParticipants: 2 });
      await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
      await f.pool.connect(f.bob).join(1, { value: ETH_STAKE });
      await expect(f.pool.connect(f.carol).join(1, { value: ETH_STAKE }))
        .to.be.revertedWithCustomError(f.pool, "ChallengeFull")
        .withArgs(1, 2);
      expect(await f.pool.statusOf(1, f.carol)).to.equal(NONE);
    });

    it("when the caller has already joined: it should revert with AlreadyJoined", async () => {
      const { f } = await ethChallenge();
      await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
      await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE }))
        .to.be.revertedWithCustomError(f.pool, "AlreadyJoined")
        .withArgs(1, f.alice.address, 1);
    });

    describe("when the value is wrong", () => {
      it("given an ETH challenge and a value other than the stake: it should revert with IncorrectValue(sent, stake)", async () => {
        const { f } = await ethChallenge();
        await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE - 1n }))
          .to.be.revertedWithCustomError(f.pool, "IncorrectValue")
          .withArgs(ETH_STAKE - 1n, ETH_STAKE);
        await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE + 1n }))
          .to.be.revertedWithCustomError(f.pool, "IncorrectValue")
          .withArgs(ETH_STAKE + 1n, ETH_STAKE);
      });

      it("given an ERC-20 challenge and some ETH: it should revert with IncorrectValue(sent, 0)", async () => {
        const { f } = await usdcChallenge();
        await f.usdc.connect(f.alice).approve(f.pool, USDC_STAKE);
        await expect(f.pool.connect(f.alice).join(1, { value: 1n }))
          .to.be.revertedWithCustomError(f.pool, "IncorrectValue")
          .withArgs(1n, 0n);
      });
    });

    it("when the vault is paused: it should revert with the vault's VaultPaused", async () => {
      const { f } = await ethChallenge();
      await f.vault.connect(f.admin).pause();
      await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE })).to.be.revertedWithCustomError(
        f.vault,
        "VaultPaused",
      );
      expect(await f.pool.statusOf(1, f.alice)).to.equal(NONE);
    });

    describe("when every requirement holds", () => {
      it("given an ETH challenge: it should create the caller's commitment with the pool as beneficiary, count the participant and emit Joined", async () => {
        const { f, p } = await ethChallenge();
        const tx = f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
        await expect(tx).to.emit(f.pool, "Joined").withArgs(1, f.alice.address, 1);
        await expect(tx).to.changeEtherBalances(
          ethers,
          [f.alice, f.pool, f.vault],
          [-ETH_STAKE, 0n, ETH_STAKE],
        );
        const c = await f.vault.getCommitment(1);
        expect(c.owner).to.equal(f.alice.address);
        expect(c.beneficiary).to.equal(await f.pool.getAddress());
        expect(c.token).to.equal(ZERO_ADDRESS);
        expect(c.amount).to.equal(ETH_STAKE);
        expect(c.start).to.equal(p.start);
        expect(c.rulesHash).to.equal(p.rulesHash);
        expect(await f.pool.commitmentOf(1, f.alice)).to.equal(1n);
        expect(await f.pool.statusOf(1, f.alice)).to.equal(JOINED);
        expect((await f.pool.challenge(1))[1]).to.equal(1n);
      });

      describe("given an ERC-20 challenge", () => {
        it("given a token that delivers less than the stake: it should revert with TransferAmountMismatch", async () => {
          const f = await networkHelpers.loadFixture(poolFixture);
          const start = (await time.latest()) + DAY;
          for (const [name, received] of [
            ["FeeOnTransferToken", 990n],
            ["ShrinkingToken", 0n],
          ] as const) {
            // Both mocks share the mint/approve ABI: the shrinking one is addressed through the fee token's.
            const deployed = await ethers.deployContract(name);
            const token = await ethers.getContractAt("FeeOnTransferToken", await deployed.getAddress());
            await f.vault.connect(f.admin).setTokenAllowed(token, true);
            await token.mint(f.alice.address, 10_000n);
            await token.mint(f.pool, 10n); // something for the shrinking token to burn
            await token.connect(f.alice).approve(f.pool, 1_000n);
            const id = (await f.pool.challengeCount()) + 1n;
            await f.pool.createChallenge(
              challengeParams(start, f, { token: await token.getAddress(), stake: 1_000n }),
            );
            await expect(f.pool.connect(f.alice).join(id))
              .to.be.revertedWithCustomError(f.pool, "TransferAmountMismatch")
              .withArgs(received, 1_000n);
          }
        });

        it("given a token that delivers the stake: it should pull the stake and leave no allowance to the vault", async () => {
          const { f } = await usdcChallenge();
          await f.usdc.connect(f.alice).approve(f.pool, USDC_STAKE);
          const tx = f.pool.connect(f.alice).join(1);
          await expect(tx).to.emit(f.pool, "Joined").withArgs(1, f.alice.address, 1);
          await expect(tx).to.changeTokenBalances(
            ethers,
            f.usdc,
            [f.alice, f.pool, f.vault],
            [-USDC_STAKE, 0n, USDC_STAKE],
          );
          expect(await f.usdc.allowance(f.pool, f.vault)).to.equal(0n);
          expect(await f.usdc.allowance(f.alice, f.pool)).to.equal(0n);
        });
      });
    });
  });
});

describe("joinWithPermit", () => {
  it("when the challenge is in ETH: it should revert with PermitOnNativeToken", async () => {
    const { f } = await ethChallenge();
    await expect(f.pool.connect(f.alice).joinWithPermit(1, 0, 0, ethers.ZeroHash, ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.pool, "PermitOnNativeToken")
      .withArgs(1);
  });

  describe("when the challenge is in an ERC-20", () => {
    it("when the permit is valid: it should join without a prior approval", async () => {
      const { f } = await usdcChallenge();
      const deadline = BigInt((await time.latest()) + DAY);
      const sig = await signPermit(ethers, f.alice, f.usdc, await f.pool.getAddress(), USDC_STAKE, deadline);
      const tx = f.pool.connect(f.alice).joinWithPermit(1, deadline, sig.v, sig.r, sig.s);
      await expect(tx).to.emit(f.pool, "Joined").withArgs(1, f.alice.address, 1);
      await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [-USDC_STAKE, USDC_STAKE]);
    });

    it("when the permit was front-run and the allowance is in place: it should still join", async () => {
      const { f } = await usdcChallenge();
      const pool = await f.pool.getAddress();
      const deadline = BigInt((await time.latest()) + DAY);
      const sig = await signPermit(ethers, f.alice, f.usdc, pool, USDC_STAKE, deadline);
      await f.usdc.connect(f.outsider).permit(f.alice, pool, USDC_STAKE, deadline, sig.v, sig.r, sig.s);
      await expect(f.pool.connect(f.alice).joinWithPermit(1, deadline, sig.v, sig.r, sig.s))
        .to.emit(f.pool, "Joined")
        .withArgs(1, f.alice.address, 1);
    });

    it("when the permit is invalid and nothing is approved: it should revert with the token's ERC20InsufficientAllowance", async () => {
      const { f } = await usdcChallenge();
      const deadline = BigInt((await time.latest()) + DAY);
      // Signed by bob, submitted by alice: the permit fails, and alice approved nothing.
      const sig = await signPermit(ethers, f.bob, f.usdc, await f.pool.getAddress(), USDC_STAKE, deadline);
      await expect(f.pool.connect(f.alice).joinWithPermit(1, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(f.usdc, "ERC20InsufficientAllowance")
        .withArgs(await f.pool.getAddress(), 0n, USDC_STAKE);
      expect(await f.pool.statusOf(1, f.alice)).to.equal(NONE);
    });
  });
});
