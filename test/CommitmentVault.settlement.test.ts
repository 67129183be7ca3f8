import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { network } from "hardhat";
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

const quorum2Fixture = makeVaultFixture(ethers);
const quorum1Fixture = makeVaultFixture(ethers, 1);
const quorum3Fixture = makeVaultFixture(ethers, 3);

const HOUR = 3_600;
const GRACE = 2 * DAY;
const ETH_STAKE = 8n * 10n ** 17n;
const ETH_SHARE = 10n ** 17n;
const USDC_STAKE = 200n * 10n ** 6n;
const USDC_SHARE = 25n * 10n ** 6n;
const OTHER_EVIDENCE = `0x${"ef".repeat(32)}`;

const State = { Open: 0n, Released: 1n, Slashed: 2n, Refunded: 3n } as const;

type Overrides = Parameters<typeof params>[2];

interface Setup {
  f: VaultFixture;
  id: bigint;
  start: number;
  amount: bigint;
}

/**
 * Loads `fixture` and lets alice stake for a commitment starting one day later: ETH, or with `asset` "usdc"
 * the fixture's mock USDC (200 USDC unless `overrides` say otherwise).
 */
async function setup(
  fixture: () => Promise<VaultFixture> = quorum2Fixture,
  overrides: Overrides = {},
  asset: "eth" | "usdc" = "eth",
): Promise<Setup> {
  const f = await networkHelpers.loadFixture(fixture);
  const start = (await time.latest()) + DAY;
  const token = asset === "usdc" ? { token: await f.usdc.getAddress(), amount: USDC_STAKE } : {};
  const p = params(start, f.charity.address, { ...token, ...overrides });
  if (asset === "eth") {
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
  } else {
    await f.usdc.connect(f.alice).approve(f.vault, p.amount);
    await f.vault.connect(f.alice).createCommitment(p);
  }
  return { f, id: await f.vault.commitmentCount(), start, amount: p.amount };
}

/** Base claim deadline of milestone `index` (no pause). */
function deadlineOf(start: number, index: number, period = WEEK, grace = GRACE): number {
  return start + (index + 1) * period + grace;
}

/** Signatures of `signers` (default: the first two oracles) over the attestation of milestone `index`. */
async function attest(
  f: VaultFixture,
  id: bigint,
  index: number,
  validUntil: bigint,
  signers: readonly HardhatEthersSigner[] = f.oracles.slice(0, 2),
  evidenceHash = EVIDENCE_HASH,
): Promise<string[]> {
  return signSorted(signers, f.vault, {
    commitmentId: id,
    milestoneIndex: BigInt(index),
    rulesHash: RULES_HASH,
    evidenceHash,
    validUntil,
  });
}

/** A validUntil far enough in the future for every test here. */
async function farValidUntil(): Promise<bigint> {
  return BigInt((await time.latest()) + 1_000 * DAY);
}

/** Claims milestone `index` of `id` with a valid quorum, sent by `sender` (default keeper). */
async function claim(f: VaultFixture, id: bigint, index: number, sender: HardhatEthersSigner = f.keeper) {
  const validUntil = await farValidUntil();
  const sigs = await attest(f, id, index, validUntil);
  return f.vault.connect(sender).claimMilestone(id, index, EVIDENCE_HASH, validUntil, sigs);
}

describe("CommitmentVault.claimMilestone", () => {
  describe("with native ETH", () => {
    it("pushes the share to the owner and emits MilestoneReleased", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil);
      const tx = f.vault.connect(f.alice).claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 0n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
      await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [ETH_SHARE, -ETH_SHARE]);
      await expect(tx).not.to.emit(f.vault, "Credited");
      expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
      expect(await f.vault.credits(f.alice, ZERO_ADDRESS)).to.equal(0n);
      expect(await ethers.provider.getBalance(f.vault)).to.equal(ETH_STAKE - ETH_SHARE);
    });

    it("leaves every other milestone Open", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      await claim(f, id, 0);
      for (let i = 1; i < 8; i++) expect(await f.vault.milestoneState(id, i)).to.equal(State.Open);
      expect((await f.vault.getCommitment(id)).closed).to.equal(false);
    });

    it("lets anyone submit, and still pays the owner rather than the caller", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      const tx = claim(f, id, 0, f.keeper);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 0n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
      await expect(tx).to.changeEtherBalances(
        ethers,
        [f.alice, f.keeper, f.vault],
        [ETH_SHARE, 0n, -ETH_SHARE],
      );
    });

    it("records the evidence hash chosen by the oracles in the event", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil, f.oracles.slice(0, 2), OTHER_EVIDENCE);
      await expect(f.vault.claimMilestone(id, 0, OTHER_EVIDENCE, validUntil, sigs))
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 0n, f.alice.address, ETH_SHARE, OTHER_EVIDENCE);
    });

    it("pays the remainder with the last milestone", async () => {
      const { f, id, start } = await setup(quorum2Fixture, { amount: 1_000_003n });
      await time.increaseTo(start + 6 * WEEK + 1);
      await expect(claim(f, id, 6)).to.changeEtherBalance(ethers, f.alice, 125_000n);
      await time.increaseTo(start + 7 * WEEK + 1);
      const tx = claim(f, id, 7);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 7n, f.alice.address, 125_003n, EVIDENCE_HASH);
      await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [125_003n, -125_003n]);
      expect(await f.vault.milestoneState(id, 7)).to.equal(State.Released);
    });

    it("accepts a claim at the exact second the window opens", async () => {
      const { f, id, start } = await setup();
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 1, validUntil);
      await time.setNextBlockTimestamp(start + WEEK);
      await expect(f.vault.claimMilestone(id, 1, EVIDENCE_HASH, validUntil, sigs))
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 1n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
      expect(await time.latest()).to.equal(start + WEEK);
    });

    it("accepts a claim one second before the claim deadline", async () => {
      const { f, id, start } = await setup();
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil);
      const deadline = deadlineOf(start, 0);
      expect(await f.vault.claimDeadline(id, 0)).to.equal(BigInt(deadline));
      await time.setNextBlockTimestamp(deadline - 1);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs)).to.changeEtherBalance(
        ethers,
        f.alice,
        ETH_SHARE,
      );
      expect(await time.latest()).to.equal(deadline - 1);
      expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
    });

    it("accepts validUntil equal to the block timestamp", async () => {
      const { f, id, start } = await setup();
      const t = start + HOUR;
      const sigs = await attest(f, id, 0, BigInt(t));
      await time.setNextBlockTimestamp(t);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, t, sigs))
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 0n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
    });

    it("accepts more signatures than the threshold", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil, f.oracles);
      expect(sigs).to.have.length(3);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs)).to.changeEtherBalance(
        ethers,
        f.alice,
        ETH_SHARE,
      );
    });
  });

  describe("with an ERC-20", () => {
    it("transfers the USDC share to the owner and emits MilestoneReleased", async () => {
      const { f, id, start } = await setup(quorum2Fixture, {}, "usdc");
      await time.increaseTo(start + 1);
      const tx = claim(f, id, 0);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 0n, f.alice.address, USDC_SHARE, EVIDENCE_HASH);
      await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [USDC_SHARE, -USDC_SHARE]);
      expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
      expect(await f.vault.credits(f.alice, f.usdc)).to.equal(0n);
    });
  });

  describe("quorum", () => {
    it("releases with a single signature when the threshold is 1", async () => {
      const { f, id, start } = await setup(quorum1Fixture);
      expect(await f.vault.threshold()).to.equal(1n);
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const [oracle] = f.oracles;
      if (!oracle) throw new Error("no oracle");
      const sigs = await attest(f, id, 0, validUntil, [oracle]);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs)).to.changeEtherBalance(
        ethers,
        f.alice,
        ETH_SHARE,
      );
      expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
    });

    it("reverts with InsufficientSignatures when no signature is given and the threshold is 1", async () => {
      const { f, id, start } = await setup(quorum1Fixture);
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, []))
        .to.be.revertedWithCustomError(f.vault, "InsufficientSignatures")
        .withArgs(0n, 1n);
    });

    it("releases with three signatures when the threshold is 3", async () => {
      const { f, id, start } = await setup(quorum3Fixture);
      expect(await f.vault.threshold()).to.equal(3n);
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil, f.oracles);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(id, 0n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
      expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
    });

    it("reverts with InsufficientSignatures for two signatures when the threshold is 3", async () => {
      const { f, id, start } = await setup(quorum3Fixture);
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil, f.oracles.slice(0, 2));
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "InsufficientSignatures")
        .withArgs(2n, 3n);
    });

    it("reverts with InsufficientSignatures for one signature when the threshold is 2", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil, f.oracles.slice(0, 1));
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "InsufficientSignatures")
        .withArgs(1n, 2n);
      expect(await f.vault.milestoneState(id, 0)).to.equal(State.Open);
    });
  });

  describe("reverts", () => {
    it("with CommitmentNotFound for id 0", async () => {
      const { f, start } = await setup();
      await time.increaseTo(start + 1);
      await expect(f.vault.claimMilestone(0, 0, EVIDENCE_HASH, await farValidUntil(), []))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(0n);
    });

    it("with CommitmentNotFound for an id that was never issued", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id + 1n, 0, validUntil);
      await expect(f.vault.claimMilestone(id + 1n, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
        .withArgs(id + 1n);
    });

    it("with MilestoneOutOfRange when the index equals the milestone count", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 8 * WEEK + 1);
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 8, validUntil);
      await expect(f.vault.claimMilestone(id, 8, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
        .withArgs(id, 8n, 8n);
    });

    it("with WindowNotOpen before the commitment starts", async () => {
      const { f, id, start } = await setup();
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "WindowNotOpen")
        .withArgs(id, 0n, start);
    });

    it("with WindowNotOpen one second before the window opens", async () => {
      const { f, id, start } = await setup();
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 1, validUntil);
      await time.setNextBlockTimestamp(start + WEEK - 1);
      await expect(f.vault.claimMilestone(id, 1, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "WindowNotOpen")
        .withArgs(id, 1n, start + WEEK);
    });

    it("with ClaimDeadlinePassed at exactly the claim deadline", async () => {
      const { f, id, start } = await setup();
      const validUntil = await farValidUntil();
      const sigs = await attest(f, id, 0, validUntil);
      const deadline = deadlineOf(start, 0);
      await time.setNextBlockTimestamp(deadline);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
        .withArgs(id, 0n, deadline);
    });

    it("with AttestationExpired when validUntil is one second in the past", async () => {
      const { f, id, start } = await setup();
      const t = start + HOUR;
      const sigs = await attest(f, id, 0, BigInt(t - 1));
      await time.setNextBlockTimestamp(t);
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, t - 1, sigs))
        .to.be.revertedWithCustomError(f.vault, "AttestationExpired")
        .withArgs(t - 1, t);
    });

    it("with MilestoneNotOpen(Released) when the milestone was already claimed", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      await claim(f, id, 0);
      await expect(claim(f, id, 0))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
        .withArgs(id, 0n, State.Released);
    });

    it("with MilestoneNotOpen(Slashed) when the milestone was slashed", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(deadlineOf(start, 0));
      await f.vault.slash(id, 0);
      await expect(claim(f, id, 0))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
        .withArgs(id, 0n, State.Slashed);
    });

    it("with CommitmentClosed after the commitment was cancelled", async () => {
      const { f, id, start } = await setup();
      await f.vault.connect(f.alice).cancel(id);
      await time.increaseTo(start + 1);
      await expect(claim(f, id, 0))
        .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
        .withArgs(id);
    });
  });
});

describe("CommitmentVault.slash", () => {
  it("credits the beneficiary and emits MilestoneSlashed and Credited", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    const tx = f.vault.connect(f.keeper).slash(id, 0);
    await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(id, 0n, f.charity.address, ETH_SHARE);
    await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, ZERO_ADDRESS, ETH_SHARE);
    // Nothing moves: the share stays in the vault as the beneficiary's credit.
    await expect(tx).to.changeEtherBalances(ethers, [f.vault, f.charity, f.alice], [0n, 0n, 0n]);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(ETH_SHARE);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Slashed);
    expect(await f.vault.milestoneState(id, 1)).to.equal(State.Open);
  });

  it("is permissionless: an outsider may slash", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    await expect(f.vault.connect(f.outsider).slash(id, 0))
      .to.emit(f.vault, "MilestoneSlashed")
      .withArgs(id, 0n, f.charity.address, ETH_SHARE);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(ETH_SHARE);
    expect(await f.vault.credits(f.outsider, ZERO_ADDRESS)).to.equal(0n);
  });

  it("credits USDC for an ERC-20 commitment", async () => {
    const { f, id, start } = await setup(quorum2Fixture, {}, "usdc");
    await time.increaseTo(deadlineOf(start, 0));
    const tx = f.vault.slash(id, 0);
    await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(id, 0n, f.charity.address, USDC_SHARE);
    await expect(tx)
      .to.emit(f.vault, "Credited")
      .withArgs(f.charity.address, await f.usdc.getAddress(), USDC_SHARE);
    await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.vault, f.charity], [0n, 0n]);
    expect(await f.vault.credits(f.charity, f.usdc)).to.equal(USDC_SHARE);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(0n);
  });

  it("accumulates credits over several slashes, the last one with the remainder", async () => {
    const { f, id, start } = await setup(quorum2Fixture, { amount: 1_000_003n });
    await time.increaseTo(deadlineOf(start, 7));
    await f.vault.slash(id, 0);
    await expect(f.vault.slash(id, 7))
      .to.emit(f.vault, "Credited")
      .withArgs(f.charity.address, ZERO_ADDRESS, 125_003n);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(250_003n);
  });

  it("reverts with ClaimDeadlineNotReached one second before the deadline, and succeeds at it", async () => {
    const { f, id, start } = await setup();
    const deadline = deadlineOf(start, 0);
    await time.setNextBlockTimestamp(deadline - 1);
    await expect(f.vault.slash(id, 0))
      .to.be.revertedWithCustomError(f.vault, "ClaimDeadlineNotReached")
      .withArgs(id, 0n, deadline);
    await time.increaseTo(deadline - 1);
    await time.setNextBlockTimestamp(deadline);
    await expect(f.vault.slash(id, 0))
      .to.emit(f.vault, "MilestoneSlashed")
      .withArgs(id, 0n, f.charity.address, ETH_SHARE);
    expect(await time.latest()).to.equal(deadline);
  });

  it("reverts with ClaimDeadlineNotReached before the window has even opened", async () => {
    const { f, id } = await setup();
    await expect(f.vault.slash(id, 7))
      .to.be.revertedWithCustomError(f.vault, "ClaimDeadlineNotReached")
      .withArgs(id, 7n, await f.vault.claimDeadline(id, 7));
  });

  it("reverts with MilestoneNotOpen(Released) after a claim at deadline - 1", async () => {
    const { f, id, start } = await setup();
    const deadline = deadlineOf(start, 0);
    const validUntil = await farValidUntil();
    const sigs = await attest(f, id, 0, validUntil);
    await time.setNextBlockTimestamp(deadline - 1);
    await f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs);
    await time.setNextBlockTimestamp(deadline);
    await expect(f.vault.slash(id, 0))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
      .withArgs(id, 0n, State.Released);
  });

  it("reverts with MilestoneNotOpen(Slashed) on a second slash", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    await f.vault.slash(id, 0);
    await expect(f.vault.slash(id, 0))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
      .withArgs(id, 0n, State.Slashed);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(ETH_SHARE);
  });

  it("reverts with CommitmentNotFound for an unknown id", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    await expect(f.vault.slash(id + 1n, 0))
      .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
      .withArgs(id + 1n);
    await expect(f.vault.slash(0, 0))
      .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
      .withArgs(0n);
  });

  it("reverts with MilestoneOutOfRange when the index equals the milestone count", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 8));
    await expect(f.vault.slash(id, 8))
      .to.be.revertedWithCustomError(f.vault, "MilestoneOutOfRange")
      .withArgs(id, 8n, 8n);
  });

  it("reverts with CommitmentClosed after the commitment was cancelled", async () => {
    const { f, id, start } = await setup();
    await f.vault.connect(f.alice).cancel(id);
    await time.increaseTo(deadlineOf(start, 0));
    await expect(f.vault.slash(id, 0))
      .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
      .withArgs(id);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(0n);
  });
});

describe("CommitmentVault settlement with 104 milestones", () => {
  const MILESTONES = 104;
  const EACH = 12_345n;
  const AMOUNT = EACH * BigInt(MILESTONES) + 103n;

  it("claims index 70 and slashes index 100 without touching their neighbours", async () => {
    const { f, id, start } = await setup(quorum2Fixture, {
      milestones: MILESTONES,
      period: HOUR,
      amount: AMOUNT,
    });
    await time.increaseTo(start + 70 * HOUR + 1);
    await expect(claim(f, id, 70))
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(id, 70n, f.alice.address, EACH, EVIDENCE_HASH);
    const deadline100 = deadlineOf(start, 100, HOUR);
    expect(await f.vault.claimDeadline(id, 100)).to.equal(BigInt(deadline100));
    await time.increaseTo(deadline100);
    await expect(f.vault.slash(id, 100))
      .to.emit(f.vault, "MilestoneSlashed")
      .withArgs(id, 100n, f.charity.address, EACH);

    expect(await f.vault.milestoneState(id, 63)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 64)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 69)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 70)).to.equal(State.Released);
    expect(await f.vault.milestoneState(id, 71)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 99)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 100)).to.equal(State.Slashed);
    expect(await f.vault.milestoneState(id, 101)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 103)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Open);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(EACH);

    // The settled ones stay settled.
    await expect(f.vault.slash(id, 70))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
      .withArgs(id, 70n, State.Released);
    await expect(f.vault.slash(id, 100))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
      .withArgs(id, 100n, State.Slashed);
  });

  it("keeps the two state bitmaps apart at the 63/64 boundary", async () => {
    const { f, id, start } = await setup(quorum2Fixture, {
      milestones: MILESTONES,
      period: HOUR,
      amount: AMOUNT,
      grace: 0,
    });
    // Slash 63 (low bitmap, last slot) and claim 64 (high bitmap, first slot), then the reverse pair 62/65.
    await time.increaseTo(start + 64 * HOUR + 1);
    await f.vault.slash(id, 63);
    await claim(f, id, 64);
    await f.vault.slash(id, 62);
    await time.increaseTo(start + 65 * HOUR + 1);
    await claim(f, id, 65);
    expect(await f.vault.milestoneState(id, 61)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 62)).to.equal(State.Slashed);
    expect(await f.vault.milestoneState(id, 63)).to.equal(State.Slashed);
    expect(await f.vault.milestoneState(id, 64)).to.equal(State.Released);
    expect(await f.vault.milestoneState(id, 65)).to.equal(State.Released);
    expect(await f.vault.milestoneState(id, 66)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Open);
    expect(await f.vault.milestoneState(id, 103)).to.equal(State.Open);
  });

  it("settles every milestone, and released + slashed equals the amount exactly", async () => {
    const { f, id, start } = await setup(
      quorum2Fixture,
      {
        milestones: MILESTONES,
        period: HOUR,
        amount: AMOUNT,
        grace: 0,
      },
      "usdc",
    );
    const aliceBefore = await f.usdc.balanceOf(f.alice);
    const validUntil = BigInt(start + 1_000 * DAY);

    // Even milestones are claimed inside their windows; odd ones are left to be slashed.
    let expectedReleased = 0n;
    for (let i = 0; i < MILESTONES; i += 2) {
      const sigs = await attest(f, id, i, validUntil);
      await time.setNextBlockTimestamp(start + i * HOUR + 60);
      await f.vault.connect(f.keeper).claimMilestone(id, i, EVIDENCE_HASH, validUntil, sigs);
      expectedReleased += await f.vault.milestoneAmount(id, i);
    }
    await time.increaseTo(start + MILESTONES * HOUR);
    let expectedSlashed = 0n;
    for (let i = 1; i < MILESTONES; i += 2) {
      await f.vault.connect(f.keeper).slash(id, i);
      expectedSlashed += await f.vault.milestoneAmount(id, i);
    }

    const released = (await f.usdc.balanceOf(f.alice)) - aliceBefore;
    const slashed = await f.vault.credits(f.charity, f.usdc);
    expect(released).to.equal(52n * EACH);
    expect(slashed).to.equal(51n * EACH + EACH + 103n);
    expect(released).to.equal(expectedReleased);
    expect(slashed).to.equal(expectedSlashed);
    expect(released + slashed).to.equal(AMOUNT);
    // Only the beneficiary's credits remain in the vault.
    expect(await f.usdc.balanceOf(f.vault)).to.equal(slashed);
    for (let i = 0; i < MILESTONES; i++) {
      expect(await f.vault.milestoneState(id, i)).to.equal(i % 2 === 0 ? State.Released : State.Slashed);
    }
    await expect(f.vault.connect(f.charity).withdraw(f.usdc)).to.changeTokenBalances(
      ethers,
      f.usdc,
      [f.charity, f.vault],
      [slashed, -slashed],
    );
    expect(await f.usdc.balanceOf(f.vault)).to.equal(0n);
  });
});
