import { expect } from "chai";
import { network } from "hardhat";
import {
  DAY,
  EVIDENCE_HASH,
  makeVaultFixture,
  params,
  signSorted,
  type VaultFixture,
  WEEK,
  ZERO_ADDRESS,
} from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

const GRACE = 2 * DAY;
const EXIT_DELAY = 30 * DAY;
/** ETH stakes from `params()`: 0.8 ETH over 8 milestones. */
const SHARE = 10n ** 17n;
const OPEN = 0n;
const RELEASED = 1n;
const SLASHED = 2n;
const REFUNDED = 3n;

const vaultFixture = makeVaultFixture(ethers);

interface PauseFixture extends VaultFixture {
  start: number;
  /** Base (pause-free) claim deadline of milestone `i`: start + (i + 1) * WEEK + GRACE. */
  base: (index: number) => number;
}

/** One ETH commitment by alice (id 1): 8 weekly milestones from `start`, 2 days of grace, charity beneficiary. */
async function pauseFixture(): Promise<PauseFixture> {
  const f = await vaultFixture();
  const start = (await networkHelpers.time.latest()) + DAY;
  const p = params(start, f.charity.address, { grace: GRACE });
  await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
  return { ...f, start, base: (index: number) => start + (index + 1) * WEEK + GRACE };
}

/** The next transaction will be mined exactly at `t`. */
async function at(t: number) {
  await networkHelpers.time.setNextBlockTimestamp(t);
}

async function pauseAt(f: VaultFixture, t: number) {
  await at(t);
  await expect(f.vault.connect(f.admin).pause()).to.emit(f.vault, "Paused").withArgs(f.admin.address);
}

async function unpauseAt(f: VaultFixture, t: number) {
  await at(t);
  await expect(f.vault.connect(f.admin).unpause()).to.emit(f.vault, "Unpaused").withArgs(f.admin.address);
}

/** Quorum signatures for (id 1, index), valid until `validUntil`. */
async function attest(f: VaultFixture, index: number, validUntil: number): Promise<string[]> {
  return signSorted(f.oracles.slice(0, 2), f.vault, {
    commitmentId: 1n,
    milestoneIndex: BigInt(index),
    rulesHash: (await f.vault.getCommitment(1)).rulesHash,
    evidenceHash: EVIDENCE_HASH,
    validUntil: BigInt(validUntil),
  });
}

/** Claims (1, index) at exactly `t` and asserts that alice received the share. */
async function expectClaimAt(f: VaultFixture, index: number, t: number, validUntil = t) {
  const sigs = await attest(f, index, validUntil);
  await at(t);
  const tx = await f.vault.connect(f.keeper).claimMilestone(1, index, EVIDENCE_HASH, validUntil, sigs);
  await expect(tx)
    .to.emit(f.vault, "MilestoneReleased")
    .withArgs(1, index, f.alice.address, SHARE, EVIDENCE_HASH);
  await expect(tx).to.changeEtherBalance(ethers, f.alice, SHARE);
  expect(await f.vault.milestoneState(1, index)).to.equal(RELEASED);
}

/** Slashes (1, index) at exactly `t` and asserts that charity was credited. */
async function expectSlashAt(f: VaultFixture, index: number, t: number) {
  await at(t);
  const tx = await f.vault.connect(f.keeper).slash(1, index);
  await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(1, index, f.charity.address, SHARE);
  await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, ZERO_ADDRESS, SHARE);
  expect(await f.vault.milestoneState(1, index)).to.equal(SLASHED);
}

/** Asserts that slashing (1, index) at exactly `t` reverts ClaimDeadlineNotReached(1, index, deadline). */
async function expectSlashTooEarlyAt(f: VaultFixture, index: number, t: number, deadline: number) {
  await at(t);
  await expect(f.vault.connect(f.keeper).slash(1, index))
    .to.be.revertedWithCustomError(f.vault, "ClaimDeadlineNotReached")
    .withArgs(1, index, deadline);
  expect(await f.vault.milestoneState(1, index)).to.equal(OPEN);
}

describe("CommitmentVault: pause", () => {
  describe("a claim deadline that falls inside a pause", () => {
    // Milestone 0's deadline D lies inside [p, u); it moves to u + grace.
    const layout = (f: PauseFixture) => {
      const d = f.base(0);
      const p = d - DAY;
      const u = d + 3 * DAY;
      return { d, p, u, extended: u + GRACE };
    };

    it("moves the claim deadline to unpause + grace", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { d, p, u, extended } = layout(f);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      expect(await f.vault.pauseState()).to.deep.equal([0n, BigInt(p), BigInt(u), BigInt(p), 0n]);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(extended);
    });

    it("claims at unpause + grace - 1", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, extended } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      await expectClaimAt(f, 0, extended - 1);
    });

    it("reverts when the slash comes at any time before unpause + grace", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { d, p, u, extended } = layout(f);
      await expectSlashTooEarlyAt(f, 0, p - 1, d);
      await pauseAt(f, p);
      // Past the base deadline but paused: slashing is stopped altogether.
      await at(d);
      await expect(f.vault.connect(f.keeper).slash(1, 0)).to.be.revertedWithCustomError(
        f.vault,
        "EnforcedPause",
      );
      await unpauseAt(f, u);
      await expectSlashTooEarlyAt(f, 0, u + 1, extended);
      await expectSlashTooEarlyAt(f, 0, u + DAY, extended);
      await expectSlashTooEarlyAt(f, 0, extended - 1, extended);
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(0n);
    });

    it("slashes at exactly unpause + grace", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, extended } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      await expectSlashAt(f, 0, extended);
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(SHARE);
    });

    it("reverts when the claim comes at exactly unpause + grace", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, extended } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      const sigs = await attest(f, 0, extended + DAY);
      await at(extended);
      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, extended + DAY, sigs))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
        .withArgs(1, 0, extended);
      expect(await f.vault.milestoneState(1, 0)).to.equal(OPEN);
    });

    it("extends a deadline one second after the pause began", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const u = d + DAY;
      await pauseAt(f, d - 1);
      await unpauseAt(f, u);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u + GRACE);
      await expectSlashTooEarlyAt(f, 0, u + GRACE - 1, u + GRACE);
      await expectSlashAt(f, 0, u + GRACE);
    });

    it("reports, while paused, the deadline an unpause at the current block would give", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p } = layout(f);
      await pauseAt(f, p);
      const t = p + 2 * DAY;
      await networkHelpers.time.increaseTo(t);
      expect(await networkHelpers.time.latest()).to.equal(t);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(t + GRACE);
    });
  });

  describe("a claim deadline that falls after the pause, within grace of the unpause", () => {
    it("moves the claim deadline to unpause + grace", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const p = d - 3 * DAY;
      const u = d - DAY;
      await pauseAt(f, p);
      await unpauseAt(f, u);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u + GRACE);
      expect(u + GRACE).to.be.greaterThan(d);
      await expectSlashTooEarlyAt(f, 0, d, u + GRACE);
      await expectSlashAt(f, 0, u + GRACE);
    });
  });

  describe("a claim deadline that passed before the pause began", () => {
    it("is unaffected: slashable right after the unpause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const p = d + DAY;
      const u = p + 2 * DAY;
      await pauseAt(f, p);
      await unpauseAt(f, u);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      await expectSlashAt(f, 0, u + 1);
    });

    it("reverts when the claim comes right after the unpause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const p = d + DAY;
      const u = p + 2 * DAY;
      await pauseAt(f, p);
      await unpauseAt(f, u);
      const sigs = await attest(f, 0, u + DAY);
      await at(u + 1);
      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, u + DAY, sigs))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
        .withArgs(1, 0, d);
    });

    it("is unaffected when the pause begins exactly at the deadline", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const u = d + 2 * DAY;
      await pauseAt(f, d);
      await unpauseAt(f, u);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      await expectSlashAt(f, 0, u + 1);
    });
  });

  describe("a claim deadline later than unpause + grace", () => {
    // Pause briefly during window 0: milestone 0's deadline is 9 days after start, u + grace only 4 days.
    const layout = (f: PauseFixture) => ({ p: f.start + DAY, u: f.start + 2 * DAY, d: f.base(0) });

    it("is unaffected", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, d } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      expect(u + GRACE).to.be.lessThan(d);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      expect(await f.vault.claimDeadline(1, 7)).to.equal(f.base(7));
      await expectSlashTooEarlyAt(f, 0, d - 1, d);
      await expectSlashAt(f, 0, d);
    });

    it("claims at the unchanged deadline - 1", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, d } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      await expectClaimAt(f, 0, d - 1);
    });

    it("leaves later milestones alone when an earlier one is extended", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d0 = f.base(0);
      const u = d0 + 3 * DAY;
      await pauseAt(f, d0 - DAY);
      await unpauseAt(f, u);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u + GRACE);
      // Milestone 1's deadline is a week after milestone 0's: beyond u + grace.
      expect(await f.vault.claimDeadline(1, 1)).to.equal(f.base(1));
      await expectSlashTooEarlyAt(f, 1, f.base(1) - 1, f.base(1));
      await expectSlashAt(f, 1, f.base(1));
    });
  });

  describe("chained pauses", () => {
    // Pause 1 covers milestone 0's deadline d and extends it to u1 + GRACE. Pause 2 begins `gap` after
    // unpause 1: if gap < GRACE that extension is still running when pause 2 begins, so pause 2 covers it too.
    const layout = (f: PauseFixture, gap: number) => {
      const d = f.base(0);
      const p1 = d - DAY;
      const u1 = d + DAY;
      const p2 = u1 + gap;
      const u2 = p2 + DAY;
      return { d, p1, u1, p2, u2, extended: u2 + GRACE };
    };
    const SHORT_GAP = GRACE / 2;
    const LONG_GAP = GRACE + 1;

    it("extends a deadline whose first extension was still running at the second pause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p1, u1, p2, u2, extended } = layout(f, SHORT_GAP);
      await pauseAt(f, p1);
      await unpauseAt(f, u1);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u1 + GRACE);
      await pauseAt(f, p2);
      expect(await f.vault.pauseState()).to.deep.equal([
        BigInt(p2),
        BigInt(p2),
        BigInt(u1),
        BigInt(p1),
        BigInt(SHORT_GAP),
      ]);
      await unpauseAt(f, u2);
      expect(await f.vault.pauseState()).to.deep.equal([
        0n,
        BigInt(p2),
        BigInt(u2),
        BigInt(p1),
        BigInt(SHORT_GAP),
      ]);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(extended);
      await expectSlashTooEarlyAt(f, 0, u2 + 1, extended);
      await expectSlashTooEarlyAt(f, 0, extended - 1, extended);
      await expectSlashAt(f, 0, extended);
    });

    it("claims at the second unpause + grace - 1", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p1, u1, p2, u2, extended } = layout(f, SHORT_GAP);
      await pauseAt(f, p1);
      await unpauseAt(f, u1);
      await pauseAt(f, p2);
      await unpauseAt(f, u2);
      await expectClaimAt(f, 0, extended - 1);
    });

    it("does not revive a deadline whose first extension ran out before the second pause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { d, p1, u1, p2, u2 } = layout(f, LONG_GAP);
      await pauseAt(f, p1);
      await unpauseAt(f, u1);
      // Slashable between u1 + GRACE and p2 ...
      expect(u1 + GRACE).to.be.lessThan(p2);
      await pauseAt(f, p2);
      await unpauseAt(f, u2);
      // ... and still slashable after the second pause, which took nothing from it. The view falls back to the
      // base deadline d (like u1 + GRACE, it lies before the second pause).
      expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      await expectSlashAt(f, 0, u2 + 1);
    });

    it("does not revive a deadline that passed between two chained pauses", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      // Milestone 1's deadline d1 falls after unpause 1 + GRACE and before pause 2, itself < 7 days later.
      const d1 = f.base(1);
      const p1 = d1 - 4 * DAY;
      const u1 = p1 + 3600;
      const p2 = d1 + 10;
      const u2 = p2 + DAY;
      expect(u1 + GRACE).to.be.lessThan(d1);
      expect(p2 - u1).to.be.lessThan(7 * DAY);
      await pauseAt(f, p1);
      await unpauseAt(f, u1);
      await pauseAt(f, p2);
      await unpauseAt(f, u2);
      expect(await f.vault.claimDeadline(1, 1)).to.equal(d1);
      await expectSlashAt(f, 1, u2 + 1);
    });

    it("does not chain a pause that begins 7 days or more after the previous unpause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { d, p1, u1 } = layout(f, 0);
      const p2 = u1 + 7 * DAY;
      const u2 = p2 + DAY;
      await pauseAt(f, p1);
      await unpauseAt(f, u1);
      await pauseAt(f, p2);
      expect(await f.vault.pauseState()).to.deep.equal([BigInt(p2), BigInt(p2), BigInt(u1), BigInt(p2), 0n]);
      await unpauseAt(f, u2);
      // The first extension (to u1 + grace) had run out before the second pause, which starts a new cover:
      // the view falls back to the base deadline (both lie in the past, so nothing changes in practice).
      expect(u1 + GRACE).to.be.lessThan(p2);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      await expectSlashAt(f, 0, u2 + 1);
    });
  });

  describe("while paused", () => {
    it("reverts when a claim or a slash is attempted", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const validUntil = d + 30 * DAY;
      const sigs1 = await attest(f, 1, validUntil);
      // Milestone 0 is slashable, milestone 1 claimable.
      await pauseAt(f, d + DAY);
      await at(d + 2 * DAY);
      await expect(f.vault.connect(f.keeper).slash(1, 0)).to.be.revertedWithCustomError(
        f.vault,
        "EnforcedPause",
      );
      await at(d + 3 * DAY);
      await expect(
        f.vault.connect(f.keeper).claimMilestone(1, 1, EVIDENCE_HASH, validUntil, sigs1),
      ).to.be.revertedWithCustomError(f.vault, "EnforcedPause");
      const p = params((await networkHelpers.time.latest()) + DAY, f.charity.address);
      await expect(
        f.vault.connect(f.alice).createCommitment(p, { value: p.amount }),
      ).to.be.revertedWithCustomError(f.vault, "EnforcedPause");
      expect(await f.vault.milestoneState(1, 0)).to.equal(OPEN);
      expect(await f.vault.milestoneState(1, 1)).to.equal(OPEN);
      expect(await f.vault.commitmentCount()).to.equal(1n);
    });

    it("reverts when someone without the guardian role pauses or unpauses", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const role = await f.vault.GUARDIAN_ROLE();
      await expect(f.vault.connect(f.outsider).pause())
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.outsider.address, role);
      await (await f.vault.connect(f.admin).pause()).wait();
      await expect(f.vault.connect(f.outsider).unpause())
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.outsider.address, role);
      expect(await f.vault.paused()).to.equal(true);
    });
  });

  describe("exit", () => {
    it("reverts when the vault is not paused", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await expect(f.vault.connect(f.alice).exit(1))
        .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
        .withArgs(0);
    });

    it("reverts one second before 30 days of pause, then refunds every open milestone", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await expectClaimAt(f, 0, f.start + 1, f.start + DAY);
      const p = f.start + 2 * DAY;
      await pauseAt(f, p);

      await at(p + EXIT_DELAY - 1);
      await expect(f.vault.connect(f.alice).exit(1))
        .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
        .withArgs(p + EXIT_DELAY);
      expect((await f.vault.getCommitment(1)).closed).to.equal(false);

      await at(p + EXIT_DELAY);
      await expect(f.vault.connect(f.bob).exit(1))
        .to.be.revertedWithCustomError(f.vault, "NotCommitmentOwner")
        .withArgs(1, f.bob.address);

      const refund = 7n * SHARE;
      const tx = await f.vault.connect(f.alice).exit(1);
      await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(1, f.alice.address, refund);
      await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [refund, -refund]);
      expect((await f.vault.getCommitment(1)).closed).to.equal(true);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      for (let i = 1; i < 8; i++) {
        expect(await f.vault.milestoneState(1, i)).to.equal(REFUNDED);
      }
      expect(await ethers.provider.getBalance(await f.vault.getAddress())).to.equal(0n);
      await expect(f.vault.connect(f.alice).exit(1))
        .to.be.revertedWithCustomError(f.vault, "CommitmentClosed")
        .withArgs(1);
    });

    it("credits the beneficiary with milestones already slashable when the pause began, refunds the rest", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      // Milestone 0 is claimed; milestone 1's deadline passes unslashed; the pause begins during window 3,
      // while milestone 2's deadline (end of window 2 + grace) is still running.
      await expectClaimAt(f, 0, f.start + 1, f.start + DAY);
      const d1 = f.base(1);
      const p = d1 + WEEK - DAY;
      expect(f.base(2)).to.be.greaterThan(p);
      await pauseAt(f, p);
      await at(p + EXIT_DELAY);
      const refund = 6n * SHARE;
      const tx = await f.vault.connect(f.alice).exit(1);
      await expect(tx)
        .to.emit(f.vault, "MilestoneSlashed")
        .withArgs(1, 1, f.charity.address, SHARE)
        .and.to.emit(f.vault, "Credited")
        .withArgs(f.charity.address, ethers.ZeroAddress, SHARE)
        .and.to.emit(f.vault, "CommitmentExited")
        .withArgs(1, f.alice.address, refund);
      await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [refund, -refund]);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.milestoneState(1, 1)).to.equal(SLASHED);
      for (let i = 2; i < 8; i++) {
        expect(await f.vault.milestoneState(1, i)).to.equal(REFUNDED);
      }
      expect(await f.vault.credits(f.charity.address, ethers.ZeroAddress)).to.equal(SHARE);
      expect(await ethers.provider.getBalance(await f.vault.getAddress())).to.equal(SHARE);
    });

    it("reverts after the unpause even if the pause lasted 30 days", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const p = f.start + DAY;
      await pauseAt(f, p);
      await unpauseAt(f, p + EXIT_DELAY + DAY);
      await expect(f.vault.connect(f.alice).exit(1))
        .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
        .withArgs(0);
    });
  });
});
