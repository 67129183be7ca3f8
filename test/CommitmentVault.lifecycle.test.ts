import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { network } from "hardhat";
import type { RevertingReceiver } from "../types/ethers-contracts/index.js";
import {
  DAY,
  EVIDENCE_HASH,
  makeVaultFixture,
  params,
  RULES_HASH,
  signSorted,
  type VaultFixture,
  WEEK,
  ZERO_ADDRESS,
} from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const vaultFixture = makeVaultFixture(ethers);

const GRACE = 2 * DAY;
const EXIT_DELAY = 30 * DAY;
const ETH_STAKE = 8n * 10n ** 17n;
const ETH_SHARE = 10n ** 17n;
const USDC_STAKE = 200n * 10n ** 6n;
const USDC_SHARE = 25n * 10n ** 6n;

const State = { Open: 0n, Released: 1n, Slashed: 2n, Refunded: 3n } as const;

type Overrides = Parameters<typeof params>[2];

interface Setup {
  f: VaultFixture;
  id: bigint;
  start: number;
}

/** Loads the fixture and lets alice stake (ETH, or 200 mock USDC) for a commitment starting one day later. */
async function setup(overrides: Overrides = {}, asset: "eth" | "usdc" = "eth"): Promise<Setup> {
  const f = await networkHelpers.loadFixture(vaultFixture);
  const start = (await time.latest()) + DAY;
  const token = asset === "usdc" ? { token: await f.usdc.getAddress(), amount: USDC_STAKE } : {};
  const p = params(start, f.charity.address, { ...token, ...overrides });
  if (asset === "eth") {
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
  } else {
    await f.usdc.connect(f.alice).approve(f.vault, p.amount);
    await f.vault.connect(f.alice).createCommitment(p);
  }
  return { f, id: await f.vault.commitmentCount(), start };
}

function deadlineOf(start: number, index: number): number {
  return start + (index + 1) * WEEK + GRACE;
}

/** Claims milestone `index` with a valid 2-of-3 quorum, submitted by the keeper. */
async function claim(f: VaultFixture, id: bigint, index: number) {
  const validUntil = BigInt((await time.latest()) + 1_000 * DAY);
  const sigs = await signSorted(f.oracles.slice(0, 2), f.vault, {
    commitmentId: id,
    milestoneIndex: BigInt(index),
    rulesHash: RULES_HASH,
    evidenceHash: EVIDENCE_HASH,
    validUntil,
  });
  return f.vault.connect(f.keeper).claimMilestone(id, index, EVIDENCE_HASH, validUntil, sigs);
}

/** Pauses the vault and returns the pause timestamp. */
async function pause(f: VaultFixture): Promise<number> {
  await f.vault.connect(f.admin).pause();
  return time.latest();
}

/** A RevertingReceiver (rejects ETH) that owns nothing yet. */
async function deployRejecter(): Promise<RevertingReceiver> {
  const receiver = await ethers.deployContract("RevertingReceiver");
  await receiver.waitForDeployment();
  return receiver;
}

async function expectAllStates(f: VaultFixture, id: bigint, count: number, state: bigint) {
  for (let i = 0; i < count; i++) expect(await f.vault.milestoneState(id, i)).to.equal(state);
}

describe("CommitmentVault.cancel", () => {
  it("refunds the whole ETH stake before the start and emits CommitmentCancelled", async () => {
    const { f, id } = await setup();
    const tx = f.vault.connect(f.alice).cancel(id);
    await expect(tx).to.emit(f.vault, "CommitmentCancelled").withArgs(id, f.alice.address, ETH_STAKE);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [ETH_STAKE, -ETH_STAKE]);
    await expect(tx).not.to.emit(f.vault, "Credited");
    expect(await ethers.provider.getBalance(f.vault)).to.equal(0n);
  });

  it("refunds the whole USDC stake before the start", async () => {
    const { f, id } = await setup({}, "usdc");
    const tx = f.vault.connect(f.alice).cancel(id);
    await expect(tx).to.emit(f.vault, "CommitmentCancelled").withArgs(id, f.alice.address, USDC_STAKE);
    await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [USDC_STAKE, -USDC_STAKE]);
    expect(await f.usdc.balanceOf(f.vault)).to.equal(0n);
  });

  it("marks the commitment closed and every milestone Refunded", async () => {
    const { f, id } = await setup();
    await expectAllStates(f, id, 8, State.Open);
    await f.vault.connect(f.alice).cancel(id);
    expect((await f.vault.getCommitment(id)).closed).to.equal(true);
    await expectAllStates(f, id, 8, State.Refunded);
    // The rest of the record is kept.
    const c = await f.vault.getCommitment(id);
    expect(c.owner).to.equal(f.alice.address);
    expect(c.amount).to.equal(ETH_STAKE);
  });

  it("refunds the full amount including the remainder", async () => {
    const { f, id } = await setup({ amount: 1_000_003n });
    await expect(f.vault.connect(f.alice).cancel(id)).to.changeEtherBalance(ethers, f.alice, 1_000_003n);
  });

  it("succeeds one second before the start", async () => {
    const { f, id, start } = await setup();
    await time.setNextBlockTimestamp(start - 1);
    await expect(f.vault.connect(f.alice).cancel(id))
      .to.emit(f.vault, "CommitmentCancelled")
      .withArgs(id, f.alice.address, ETH_STAKE);
    expect(await time.latest()).to.equal(start - 1);
  });

  it("works while the vault is paused", async () => {
    const { f, id } = await setup();
    await pause(f);
    await expect(f.vault.connect(f.alice).cancel(id)).to.changeEtherBalance(ethers, f.alice, ETH_STAKE);
  });

  it("credits the refund when the owner rejects ETH, and the owner can withdraw it later", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const receiver = await deployRejecter();
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address);
    await receiver.execute(f.vault, f.vault.interface.encodeFunctionData("createCommitment", [p]), {
      value: p.amount,
    });
    const id = await f.vault.commitmentCount();
    expect((await f.vault.getCommitment(id)).owner).to.equal(await receiver.getAddress());

    const tx = receiver.execute(f.vault, f.vault.interface.encodeFunctionData("cancel", [id]));
    await expect(tx)
      .to.emit(f.vault, "CommitmentCancelled")
      .withArgs(id, await receiver.getAddress(), ETH_STAKE);
    await expect(tx)
      .to.emit(f.vault, "Credited")
      .withArgs(await receiver.getAddress(), ZERO_ADDRESS, ETH_STAKE);
    await expect(tx).to.changeEtherBalances(ethers, [receiver, f.vault], [0n, 0n]);
    expect(await f.vault.credits(receiver, ZERO_ADDRESS)).to.equal(ETH_STAKE);

    await receiver.setRejecting(false);
    await expect(f.vault.withdrawFor(receiver, ZERO_ADDRESS)).to.changeEtherBalances(
      ethers,
      [receiver, f.vault],
      [ETH_STAKE, -ETH_STAKE],
    );
  });

  it("reverts with NotCommitmentOwner when the caller is not the owner", async () => {
    const { f, id } = await setup();
    await expect(f.vault.connect(f.bob).cancel(id))
      .to.be.revertedWithCustomError(f.vault, "NotCommitmentOwner")
      .withArgs(id, f.bob.address);
    await expect(f.vault.connect(f.charity).cancel(id))
      .to.be.revertedWithCustomError(f.vault, "NotCommitmentOwner")
      .withArgs(id, f.charity.address);
  });

  it("reverts with CommitmentAlreadyStarted at exactly the start", async () => {
    const { f, id, start } = await setup();
    await time.setNextBlockTimestamp(start);
    await expect(f.vault.connect(f.alice).cancel(id))
      .to.be.revertedWithCustomError(f.vault, "CommitmentAlreadyStarted")
      .withArgs(id, start);
  });

  it("reverts with CommitmentAlreadyStarted after the start", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(start + 3 * WEEK);
    await expect(f.vault.connect(f.alice).cancel(id))
      .to.be.revertedWithCustomError(f.vault, "CommitmentAlreadyStarted")
      .withArgs(id, start);
  });

  it("reverts with CommitmentClosed on a second cancel", async () => {
    const { f, id } = await setup();
    await f.vault.connect(f.alice).cancel(id);
    await expect(f.vault.connect(f.alice).cancel(id))
      .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
      .withArgs(id);
  });

  it("reverts with CommitmentNotFound for an unknown id", async () => {
    const { f, id } = await setup();
    await expect(f.vault.connect(f.alice).cancel(id + 1n))
      .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
      .withArgs(id + 1n);
    await expect(f.vault.connect(f.alice).cancel(0))
      .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
      .withArgs(0n);
  });
});

describe("CommitmentVault.exit", () => {
  // v2 (replaces the v1 tests "ExitNotAvailable(0)" and "ExitNotAvailable(pausedAt + 30 days)"): exit needs the vault
  // paused now and paused at least 30 of the last 31 days; the error carries the paused seconds in that window.
  it("reverts with ExitNotAvailable(0, 30 days) when the vault is not paused", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(start + 100 * DAY);
    expect(await f.vault.exitAvailable()).to.equal(false);
    await expect(f.vault.connect(f.alice).exit(id))
      .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
      .withArgs(0n, EXIT_DELAY);
  });

  it("reverts with ExitNotAvailable after a 31-day pause that was lifted", async () => {
    const { f, id } = await setup();
    await pause(f);
    await time.increase(EXIT_DELAY + DAY);
    await f.vault.connect(f.admin).unpause();
    expect(await f.vault.exitAvailable()).to.equal(false);
    const tx = f.vault.connect(f.alice).exit(id);
    await expect(tx).to.be.revertedWithCustomError(f.vault, "ExitNotAvailable");
  });

  it("reverts with ExitNotAvailable(30 days - 1 s, 30 days) one second before 30 days of pause", async () => {
    const { f, id } = await setup();
    const pausedAt = await pause(f);
    await time.setNextBlockTimestamp(pausedAt + EXIT_DELAY - 1);
    await expect(f.vault.connect(f.alice).exit(id))
      .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
      .withArgs(EXIT_DELAY - 1, EXIT_DELAY);
  });

  it("reverts with ExitNotAvailable(1 s, 30 days) right after pausing", async () => {
    const { f, id } = await setup();
    const pausedAt = await pause(f);
    await time.setNextBlockTimestamp(pausedAt + 1);
    await expect(f.vault.connect(f.alice).exit(id))
      .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
      .withArgs(1n, EXIT_DELAY);
  });

  it("refunds every open milestone at exactly pausedAt + 30 days", async () => {
    const { f, id } = await setup();
    const pausedAt = await pause(f);
    await time.setNextBlockTimestamp(pausedAt + EXIT_DELAY);
    const tx = f.vault.connect(f.alice).exit(id);
    await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(id, f.alice.address, ETH_STAKE);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [ETH_STAKE, -ETH_STAKE]);
    expect(await time.latest()).to.equal(pausedAt + EXIT_DELAY);
    expect((await f.vault.getCommitment(id)).closed).to.equal(true);
    await expectAllStates(f, id, 8, State.Refunded);
  });

  it("refunds only the open milestones after a claim and a slash", async () => {
    const { f, id, start } = await setup({ amount: 1_000_003n });
    await time.increaseTo(start + 1);
    await claim(f, id, 0);
    await time.increaseTo(deadlineOf(start, 1));
    await f.vault.slash(id, 1);
    const released = await f.vault.milestoneAmount(id, 0);
    const slashed = await f.vault.credits(f.charity, ZERO_ADDRESS);
    expect(released).to.equal(125_000n);
    expect(slashed).to.equal(125_000n);

    const pausedAt = await pause(f);
    await time.increaseTo(pausedAt + EXIT_DELAY);
    const refund = 1_000_003n - released - slashed;
    const tx = f.vault.connect(f.alice).exit(id);
    await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(id, f.alice.address, refund);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [refund, -refund]);

    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
    expect(await f.vault.milestoneState(id, 1)).to.equal(State.Slashed);
    for (let i = 2; i < 8; i++) expect(await f.vault.milestoneState(id, i)).to.equal(State.Refunded);
    // The beneficiary's credit is untouched and is all that remains in the vault.
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(slashed);
    expect(await ethers.provider.getBalance(f.vault)).to.equal(slashed);
  });

  it("refunds only the open USDC milestones", async () => {
    const { f, id, start } = await setup({}, "usdc");
    await time.increaseTo(start + 1);
    await claim(f, id, 0);
    const pausedAt = await pause(f);
    await time.increaseTo(pausedAt + EXIT_DELAY);
    const refund = USDC_STAKE - USDC_SHARE;
    const tx = f.vault.connect(f.alice).exit(id);
    await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(id, f.alice.address, refund);
    await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [refund, -refund]);
    expect(await f.usdc.balanceOf(f.vault)).to.equal(0n);
  });

  it("refunds nothing and still closes when every milestone has settled", async () => {
    const { f, id, start } = await setup({ milestones: 1 });
    await time.increaseTo(start + 1);
    await claim(f, id, 0);
    const pausedAt = await pause(f);
    await time.increaseTo(pausedAt + EXIT_DELAY);
    const tx = f.vault.connect(f.alice).exit(id);
    await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(id, f.alice.address, 0n);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [0n, 0n]);
    expect((await f.vault.getCommitment(id)).closed).to.equal(true);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
  });

  // v2 (replaces "reverts with NotCommitmentOwner"): anyone may exit; the refund still goes to the owner.
  it("lets anyone exit and still pays the owner", async () => {
    const { f, id } = await setup();
    const pausedAt = await pause(f);
    await time.increaseTo(pausedAt + EXIT_DELAY);
    const tx = f.vault.connect(f.bob).exit(id);
    await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(id, f.alice.address, ETH_STAKE);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.bob], [ETH_STAKE, 0n]);
  });

  it("reverts with CommitmentClosed on a second exit", async () => {
    const { f, id } = await setup();
    const pausedAt = await pause(f);
    await time.increaseTo(pausedAt + EXIT_DELAY);
    await f.vault.connect(f.alice).exit(id);
    await expect(f.vault.connect(f.alice).exit(id))
      .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
      .withArgs(id);
  });

  it("reverts with CommitmentClosed for a cancelled commitment", async () => {
    const { f, id } = await setup();
    await f.vault.connect(f.alice).cancel(id);
    const pausedAt = await pause(f);
    await time.increaseTo(pausedAt + EXIT_DELAY);
    await expect(f.vault.connect(f.alice).exit(id))
      .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
      .withArgs(id);
  });

  it("reverts with CommitmentNotFound for an unknown id", async () => {
    const { f, id } = await setup();
    const pausedAt = await pause(f);
    await time.increaseTo(pausedAt + EXIT_DELAY);
    await expect(f.vault.connect(f.alice).exit(id + 1n))
      .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
      .withArgs(id + 1n);
  });
});

describe("CommitmentVault.withdraw", () => {
  it("pays the beneficiary its slashed ETH and emits Withdrawn", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 1));
    await f.vault.slash(id, 0);
    await f.vault.slash(id, 1);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(2n * ETH_SHARE);
    const tx = f.vault.connect(f.charity).withdraw(ZERO_ADDRESS);
    await expect(tx)
      .to.emit(f.vault, "Withdrawn")
      .withArgs(f.charity.address, ZERO_ADDRESS, 2n * ETH_SHARE);
    await expect(tx).to.changeEtherBalances(ethers, [f.charity, f.vault], [2n * ETH_SHARE, -2n * ETH_SHARE]);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(0n);
  });

  it("pays the beneficiary its slashed USDC and emits Withdrawn", async () => {
    const { f, id, start } = await setup({}, "usdc");
    await time.increaseTo(deadlineOf(start, 0));
    await f.vault.slash(id, 0);
    const tx = f.vault.connect(f.charity).withdraw(f.usdc);
    await expect(tx)
      .to.emit(f.vault, "Withdrawn")
      .withArgs(f.charity.address, await f.usdc.getAddress(), USDC_SHARE);
    await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.charity, f.vault], [USDC_SHARE, -USDC_SHARE]);
    expect(await f.vault.credits(f.charity, f.usdc)).to.equal(0n);
  });

  it("keeps ETH and token credits apart", async () => {
    const { f, id, start } = await setup({}, "usdc");
    const p = params(start, f.charity.address);
    await f.vault.connect(f.bob).createCommitment(p, { value: p.amount });
    await time.increaseTo(deadlineOf(start, 0));
    await f.vault.slash(id, 0);
    await f.vault.slash(id + 1n, 0);
    await f.vault.connect(f.charity).withdraw(f.usdc);
    expect(await f.vault.credits(f.charity, f.usdc)).to.equal(0n);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(ETH_SHARE);
  });

  it("works while the vault is paused", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    await f.vault.slash(id, 0);
    await pause(f);
    await expect(f.vault.connect(f.charity).withdraw(ZERO_ADDRESS)).to.changeEtherBalance(
      ethers,
      f.charity,
      ETH_SHARE,
    );
  });

  it("reverts with NothingToWithdraw when the caller has no credits", async () => {
    const { f } = await setup();
    await expect(f.vault.connect(f.charity).withdraw(ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.vault, "NothingToWithdraw")
      .withArgs(f.charity.address, ZERO_ADDRESS);
    await expect(f.vault.connect(f.charity).withdraw(f.usdc))
      .to.be.revertedWithCustomError(f.vault, "NothingToWithdraw")
      .withArgs(f.charity.address, await f.usdc.getAddress());
  });

  it("reverts with NothingToWithdraw on a second withdrawal", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    await f.vault.slash(id, 0);
    await f.vault.connect(f.charity).withdraw(ZERO_ADDRESS);
    await expect(f.vault.connect(f.charity).withdraw(ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.vault, "NothingToWithdraw")
      .withArgs(f.charity.address, ZERO_ADDRESS);
  });
});

describe("CommitmentVault.withdrawFor", () => {
  it("pays the account, not the caller", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    await f.vault.slash(id, 0);
    const tx = f.vault.connect(f.outsider).withdrawFor(f.charity, ZERO_ADDRESS);
    await expect(tx).to.emit(f.vault, "Withdrawn").withArgs(f.charity.address, ZERO_ADDRESS, ETH_SHARE);
    await expect(tx).to.changeEtherBalances(
      ethers,
      [f.charity, f.outsider, f.vault],
      [ETH_SHARE, 0n, -ETH_SHARE],
    );
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(0n);
    expect(await f.vault.credits(f.outsider, ZERO_ADDRESS)).to.equal(0n);
  });

  it("pays USDC credits to the account", async () => {
    const { f, id, start } = await setup({}, "usdc");
    await time.increaseTo(deadlineOf(start, 0));
    await f.vault.slash(id, 0);
    await expect(f.vault.connect(f.keeper).withdrawFor(f.charity, f.usdc)).to.changeTokenBalances(
      ethers,
      f.usdc,
      [f.charity, f.keeper, f.vault],
      [USDC_SHARE, 0n, -USDC_SHARE],
    );
  });

  it("reverts with NothingToWithdraw when the account has no credits", async () => {
    const { f } = await setup();
    await expect(f.vault.connect(f.outsider).withdrawFor(f.bob, ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.vault, "NothingToWithdraw")
      .withArgs(f.bob.address, ZERO_ADDRESS);
  });

  describe("when the account rejects ETH", () => {
    async function slashToRejecter(): Promise<{
      f: VaultFixture;
      receiver: RevertingReceiver;
      keeper: HardhatEthersSigner;
    }> {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const receiver = await deployRejecter();
      const start = (await time.latest()) + DAY;
      const p = params(start, await receiver.getAddress());
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      await time.increaseTo(deadlineOf(start, 0));
      await f.vault.slash(1, 0);
      expect(await f.vault.credits(receiver, ZERO_ADDRESS)).to.equal(ETH_SHARE);
      return { f, receiver, keeper: f.keeper };
    }

    it("reverts with PayoutFailed and keeps the credits intact", async () => {
      const { f, receiver, keeper } = await slashToRejecter();
      const account = await receiver.getAddress();
      await expect(f.vault.connect(keeper).withdrawFor(account, ZERO_ADDRESS))
        .to.be.revertedWithCustomError(f.vault, "PayoutFailed")
        .withArgs(account, ZERO_ADDRESS, ETH_SHARE);
      expect(await f.vault.credits(account, ZERO_ADDRESS)).to.equal(ETH_SHARE);
      expect(await ethers.provider.getBalance(f.vault)).to.equal(ETH_STAKE);
    });

    it("reverts with PayoutFailed when the account withdraws for itself", async () => {
      const { f, receiver } = await slashToRejecter();
      const account = await receiver.getAddress();
      await expect(
        receiver.execute(f.vault, f.vault.interface.encodeFunctionData("withdraw", [ZERO_ADDRESS])),
      )
        .to.be.revertedWithCustomError(f.vault, "PayoutFailed")
        .withArgs(account, ZERO_ADDRESS, ETH_SHARE);
      expect(await f.vault.credits(account, ZERO_ADDRESS)).to.equal(ETH_SHARE);
    });

    it("pays out once the account accepts ETH again", async () => {
      const { f, receiver, keeper } = await slashToRejecter();
      await receiver.setRejecting(false);
      await expect(f.vault.connect(keeper).withdrawFor(receiver, ZERO_ADDRESS)).to.changeEtherBalances(
        ethers,
        [receiver, f.vault],
        [ETH_SHARE, -ETH_SHARE],
      );
      expect(await f.vault.credits(receiver, ZERO_ADDRESS)).to.equal(0n);
    });
  });
});

describe("CommitmentVault views", () => {
  describe("getCommitment", () => {
    it("reverts with CommitmentNotFound for id 0", async () => {
      const { f } = await setup();
      await expect(f.vault.getCommitment(0))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(0n);
    });

    it("reverts with CommitmentNotFound for an id not issued yet", async () => {
      const { f, id } = await setup();
      await expect(f.vault.getCommitment(id + 1n))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(id + 1n);
    });

    it("reverts with CommitmentNotFound on a fresh vault", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      await expect(f.vault.getCommitment(1))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(1n);
    });
  });

  describe("milestoneState, milestoneAmount and claimDeadline", () => {
    it("revert with MilestoneOutOfRange for index == milestones", async () => {
      const { f, id } = await setup();
      await expect(f.vault.milestoneState(id, 8))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(id, 8n, 8n);
      await expect(f.vault.milestoneAmount(id, 8))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(id, 8n, 8n);
      await expect(f.vault.claimDeadline(id, 8))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(id, 8n, 8n);
    });

    it("revert with MilestoneOutOfRange for a huge index", async () => {
      const { f, id } = await setup();
      const huge = 2n ** 255n;
      await expect(f.vault.milestoneState(id, huge))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(id, huge, 8n);
      await expect(f.vault.claimDeadline(id, huge))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(id, huge, 8n);
    });

    it("revert with CommitmentNotFound for an unknown id", async () => {
      const { f, id } = await setup();
      for (const view of [f.vault.milestoneState, f.vault.milestoneAmount, f.vault.claimDeadline]) {
        await expect(view(id + 1n, 0))
          .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
          .withArgs(id + 1n);
      }
    });

    it("claimDeadline is start + (i + 1) * period + grace for every milestone when never paused", async () => {
      const { f, id, start } = await setup({ period: 3 * DAY, grace: 5 * 3_600, milestones: 12 });
      for (let i = 0; i < 12; i++) {
        expect(await f.vault.claimDeadline(id, i)).to.equal(BigInt(start + (i + 1) * 3 * DAY + 5 * 3_600));
      }
    });

    it("claimDeadline with zero grace is the end of the window", async () => {
      const { f, id, start } = await setup({ grace: 0 });
      expect(await f.vault.claimDeadline(id, 0)).to.equal(BigInt(start + WEEK));
      expect(await f.vault.claimDeadline(id, 7)).to.equal(BigInt(start + 8 * WEEK));
    });
  });

  describe("commitmentCount", () => {
    it("is 0 on a fresh vault and counts each creation", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      expect(await f.vault.commitmentCount()).to.equal(0n);
      const p = params((await time.latest()) + DAY, f.charity.address);
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      expect(await f.vault.commitmentCount()).to.equal(1n);
      await f.vault.connect(f.bob).createCommitment(p, { value: p.amount });
      expect(await f.vault.commitmentCount()).to.equal(2n);
    });

    it("does not go down when a commitment is cancelled", async () => {
      const { f, id } = await setup();
      await f.vault.connect(f.alice).cancel(id);
      expect(await f.vault.commitmentCount()).to.equal(1n);
    });
  });

  describe("oracles and threshold", () => {
    it("return the deployed oracle set and quorum", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      expect(await f.vault.oracles()).to.deep.equal(f.oracles.map((o) => o.address));
      expect(await f.vault.threshold()).to.equal(2n);
    });
  });

  describe("credits", () => {
    it("is zero for an account that was never credited", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(0n);
      expect(await f.vault.credits(f.charity, f.usdc)).to.equal(0n);
    });
  });

  describe("hashAttestation", () => {
    it("equals the EIP-712 digest of the attestation with the stored rulesHash", async () => {
      const { f, id } = await setup();
      const { chainId } = await ethers.provider.getNetwork();
      const validUntil = 123_456_789n;
      const expected = ethers.TypedDataEncoder.hash(
        { name: "ResolutionAutopilot", version: "1", chainId, verifyingContract: await f.vault.getAddress() },
        {
          MilestoneAttestation: [
            { name: "commitmentId", type: "uint256" },
            { name: "milestoneIndex", type: "uint256" },
            { name: "rulesHash", type: "bytes32" },
            { name: "evidenceHash", type: "bytes32" },
            { name: "validUntil", type: "uint64" },
          ],
        },
        {
          commitmentId: id,
          milestoneIndex: 3n,
          rulesHash: RULES_HASH,
          evidenceHash: EVIDENCE_HASH,
          validUntil,
        },
      );
      expect(await f.vault.hashAttestation(id, 3, EVIDENCE_HASH, validUntil)).to.equal(expected);
    });

    it("reverts with CommitmentNotFound for an unknown id", async () => {
      const { f, id } = await setup();
      await expect(f.vault.hashAttestation(id + 1n, 0, EVIDENCE_HASH, 1n))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(id + 1n);
    });
  });
});
