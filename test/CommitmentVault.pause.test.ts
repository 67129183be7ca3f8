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
/** PAUSE_RECOVERY: claim time a deadline running at a pause keeps after the unpause (>= every grace). */
const RECOVERY = 7 * DAY;
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
  it("uses a 7-day recovery window, at least every commitment's grace", async () => {
    const f = await networkHelpers.loadFixture(pauseFixture);
    expect(await f.vault.PAUSE_RECOVERY()).to.equal(BigInt(RECOVERY));
    expect(await f.vault.PAUSE_RECOVERY()).to.equal(await f.vault.MAX_GRACE());
  });

  describe("a claim deadline that falls inside a pause", () => {
    // Milestone 0's deadline D lies inside [p, u); it moves to u + recovery (>= u + grace).
    const layout = (f: PauseFixture) => {
      const d = f.base(0);
      const p = d - DAY;
      const u = d + 3 * DAY;
      return { d, p, u, extended: u + RECOVERY };
    };

    it("moves the claim deadline to unpause + recovery", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { d, p, u, extended } = layout(f);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      expect(await f.vault.pauseState()).to.deep.equal([0n, BigInt(p), BigInt(u), BigInt(u - p)]);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(extended);
      expect(extended).to.be.at.least(u + GRACE);
    });

    it("claims at unpause + grace - 1 and at unpause + recovery - 1", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, extended } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      await expectClaimAt(f, 0, u + GRACE - 1, extended - 1);
      const g = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(g, p);
      await unpauseAt(g, u);
      await expectClaimAt(g, 0, extended - 1);
    });

    it("reverts when the slash comes at any time before unpause + recovery", async () => {
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
      await expectSlashTooEarlyAt(f, 0, u + GRACE, extended);
      await expectSlashTooEarlyAt(f, 0, extended - 1, extended);
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(0n);
    });

    it("slashes at exactly unpause + recovery", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, extended } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      await expectSlashAt(f, 0, extended);
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(SHARE);
    });

    it("reverts when the claim comes at exactly unpause + recovery", async () => {
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
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u + RECOVERY);
      await expectSlashTooEarlyAt(f, 0, u + RECOVERY - 1, u + RECOVERY);
      await expectSlashAt(f, 0, u + RECOVERY);
    });

    it("reports, while paused, the deadline an unpause at the current block would give", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p } = layout(f);
      await pauseAt(f, p);
      const t = p + 2 * DAY;
      await networkHelpers.time.increaseTo(t);
      expect(await networkHelpers.time.latest()).to.equal(t);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(t + RECOVERY);
    });
  });

  describe("a claim deadline that falls after the pause, within the recovery window of the unpause", () => {
    it("moves the claim deadline to unpause + recovery", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const p = d - 3 * DAY;
      const u = d - DAY;
      await pauseAt(f, p);
      await unpauseAt(f, u);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u + RECOVERY);
      expect(u + RECOVERY).to.be.greaterThan(d);
      await expectSlashTooEarlyAt(f, 0, d, u + RECOVERY);
      await expectSlashAt(f, 0, u + RECOVERY);
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

  describe("a claim deadline later than unpause + recovery", () => {
    // A one-hour pause early in window 0: milestone 0's deadline (9 days after start) lies beyond u + 7 days.
    const layout = (f: PauseFixture) => ({ p: f.start + 3600, u: f.start + 7200, d: f.base(0) });

    it("is unaffected", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const { p, u, d } = layout(f);
      await pauseAt(f, p);
      await unpauseAt(f, u);
      expect(u + RECOVERY).to.be.lessThan(d);
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

    it("extends only the deadlines that fall before unpause + recovery", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d0 = f.base(0);
      const u = d0 + 3 * DAY;
      await pauseAt(f, d0 - DAY);
      await unpauseAt(f, u);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u + RECOVERY);
      // Milestone 1's deadline (d0 + 7 days) is before u + 7 days: extended too.
      expect(await f.vault.claimDeadline(1, 1)).to.equal(u + RECOVERY);
      // Milestone 2's deadline is a fortnight after d0: beyond u + 7 days, unchanged.
      expect(await f.vault.claimDeadline(1, 2)).to.equal(f.base(2));
      await expectSlashTooEarlyAt(f, 2, f.base(2) - 1, f.base(2));
      await expectSlashAt(f, 2, f.base(2));
    });
  });

  describe("chained pauses", () => {
    it("extends a deadline covered by the first pause to the second unpause + recovery", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const p1 = d - DAY;
      const u1 = d + DAY;
      const p2 = u1 + 3 * DAY;
      const u2 = p2 + DAY;
      const extended = u2 + RECOVERY;
      await pauseAt(f, p1);
      await unpauseAt(f, u1);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(u1 + RECOVERY);
      await pauseAt(f, p2);
      expect(await f.vault.pauseState()).to.deep.equal([BigInt(p2), BigInt(p1), BigInt(u1), BigInt(u1 - p1)]);
      await unpauseAt(f, u2);
      expect(await f.vault.pauseState()).to.deep.equal([
        0n,
        BigInt(p1),
        BigInt(u2),
        BigInt(u1 - p1 + (u2 - p2)),
      ]);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(extended);
      await expectSlashTooEarlyAt(f, 0, u2 + 1, extended);
      await expectSlashTooEarlyAt(f, 0, extended - 1, extended);
      await expectSlashAt(f, 0, extended);
    });

    it("claims at the second unpause + recovery - 1", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const u1 = d + DAY;
      const u2 = u1 + 4 * DAY;
      await pauseAt(f, d - DAY);
      await unpauseAt(f, u1);
      await pauseAt(f, u1 + 3 * DAY);
      await unpauseAt(f, u2);
      await expectClaimAt(f, 0, u2 + RECOVERY - 1);
    });

    it("never revives a deadline that had passed before the chain began, however many pauses follow", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      // Milestone 0 is slashable from d on; three pauses, each starting a day after the previous unpause.
      const d = f.base(0);
      let t = d + DAY;
      for (let i = 0; i < 3; i++) {
        await pauseAt(f, t);
        await unpauseAt(f, t + DAY);
        t += 2 * DAY;
        expect(await f.vault.claimDeadline(1, 0)).to.equal(d);
      }
      // Milestone 1 (deadline d + 7 days, still running when the chain began) is covered by the whole chain.
      const lastUnpause = t - DAY;
      expect(await f.vault.claimDeadline(1, 1)).to.equal(lastUnpause + RECOVERY);
      await expectSlashAt(f, 0, lastUnpause + 1);
    });

    it("does not chain a pause that begins 7 days or more after the previous unpause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const d = f.base(0);
      const p1 = d - DAY;
      const u1 = d + DAY;
      const p2 = u1 + 7 * DAY;
      const u2 = p2 + DAY;
      await pauseAt(f, p1);
      await unpauseAt(f, u1);
      await pauseAt(f, p2);
      expect(await f.vault.pauseState()).to.deep.equal([BigInt(p2), BigInt(p2), BigInt(u1), 0n]);
      await unpauseAt(f, u2);
      // The first extension ended at u1 + 7 days == p2: not running when the second pause began. The view
      // falls back to the base deadline (both lie in the past, so nothing changes in practice).
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

    it("counts paused time over the whole chain: an unpause-and-re-pause cannot push the exit back", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const p = f.start + DAY;
      await pauseAt(f, p);
      // The guardian unpauses and re-pauses in one transaction 29 days in, then again a day later.
      await at(p + 29 * DAY);
      const vault = f.vault.connect(f.admin);
      await (
        await vault.multicall([
          vault.interface.encodeFunctionData("unpause"),
          vault.interface.encodeFunctionData("pause"),
        ])
      ).wait();
      const state = await f.vault.pauseState();
      expect(state[0]).to.equal(BigInt(p + 29 * DAY));
      expect(state[3]).to.equal(BigInt(29 * DAY));
      await at(p + EXIT_DELAY - 1);
      await expect(f.vault.connect(f.alice).exit(1))
        .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
        .withArgs(p + EXIT_DELAY);
      await at(p + EXIT_DELAY);
      await expect(f.vault.connect(f.alice).exit(1)).to.emit(f.vault, "CommitmentExited");
    });

    it("starts a new exit count when the vault was unpaused for the whole recovery window", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const p1 = f.start + DAY;
      await pauseAt(f, p1);
      await unpauseAt(f, p1 + 20 * DAY);
      const p2 = p1 + 20 * DAY + RECOVERY;
      await pauseAt(f, p2);
      expect((await f.vault.pauseState())[3]).to.equal(0n);
      await at(p2 + EXIT_DELAY - 1);
      await expect(f.vault.connect(f.alice).exit(1))
        .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
        .withArgs(p2 + EXIT_DELAY);
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
