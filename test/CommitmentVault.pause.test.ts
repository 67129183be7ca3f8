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

/**
 * v2 pause rule (issue 13). This file replaces the v1 suite, whose rule gave every deadline running at a pause
 * "unpause + PAUSE_RECOVERY (7 days)" and chained pauses 7 days apart; the audit showed a guardian could defer every
 * slash of an 8-week commitment by 76 days with 14 seconds of pauses. The v1 tests and what replaces them:
 * - "uses a 7-day recovery window" -> UNPAUSE_CLAIM_TIME is 1 hour;
 * - "moves the claim deadline to unpause + recovery" (deadline inside a pause) -> "a deadline inside a long pause";
 * - "a claim deadline that falls after the pause, within the recovery window" -> "a pause inside the grace" (moved
 *   by exactly the paused time) and "the last hour after an unpause";
 * - "a claim deadline that passed before the pause began" / "later than unpause + recovery" -> kept below, same
 *   expectations (unaffected);
 * - "chained pauses" (7-day chains) -> "chained pauses" (each pause adds its paused time, at most 1 h per pause);
 * - "exit" (30 days summed over a chain) -> "exit" (paused 30 of the last 31 days; multicall([unpause, pause])).
 * The same rule is checked against a pause-by-pause model: here (modelDeadline), in the fuzz test
 * testFuzzPauseExtendsRunningDeadlines and in the invariant handler after every unpause.
 */
const GRACE = 2 * DAY;
const EXIT_DELAY = 30 * DAY;
const HOUR = 3600;
/** UNPAUSE_CLAIM_TIME: claim time an owner keeps after an unpause that swallowed (most of) the grace. */
const UNPAUSE_CLAIM = HOUR;
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

/** A pause interval; `u` undefined while ongoing. */
interface Interval {
  p: number;
  u?: number;
}

/**
 * The v2 rule applied directly, pause by pause (the vault computes it in O(log pauses)): a pause that began before
 * the running deadline adds the paused time it overlaps after the window's end, and, when it ended less than an
 * hour before the deadline (before or after the window's end), moves the deadline to its unpause + 1 hour.
 */
function modelDeadline(end: number, grace: number, pauses: readonly Interval[], now: number): number {
  let d = end + grace;
  for (const { p, u: ended } of pauses) {
    const u = ended ?? now;
    if (p >= d) break;
    if (u > end) d += u - Math.max(p, end);
    if (d < u + UNPAUSE_CLAIM) d = u + UNPAUSE_CLAIM;
  }
  return d;
}

/** Paused seconds within the last 31 days. */
function pausedInWindow(pauses: readonly Interval[], now: number): number {
  const from = now - 31 * DAY;
  let total = 0;
  for (const { p, u } of pauses) {
    const a = Math.max(p, from);
    const b = u ?? now;
    if (b > a) total += b - a;
  }
  return total;
}

/** Records pauses as they happen so tests can compare the vault with the model. */
class Timeline {
  readonly pauses: Interval[] = [];
  constructor(readonly f: VaultFixture) {}
  async pause(t: number) {
    await pauseAt(this.f, t);
    this.pauses.push({ p: t });
  }
  async unpause(t: number) {
    await unpauseAt(this.f, t);
    const last = this.pauses[this.pauses.length - 1];
    if (last) last.u = t;
  }
  /** Asserts claimDeadline of every milestone of commitment 1 equals the model at the latest block. */
  async expectModel(start: number, count = 8, period = WEEK, grace = GRACE) {
    const now = await networkHelpers.time.latest();
    for (let i = 0; i < count; i++) {
      const end = start + (i + 1) * period;
      expect(Number(await this.f.vault.claimDeadline(1, i)), `milestone ${i}`).to.equal(
        modelDeadline(end, grace, this.pauses, now),
      );
    }
  }
}

describe("CommitmentVault: pause (v2 rule)", () => {
  it("keeps one hour of claim time after an unpause, and exit needs 30 of the last 31 days", async () => {
    const f = await networkHelpers.loadFixture(pauseFixture);
    expect(await f.vault.UNPAUSE_CLAIM_TIME()).to.equal(BigInt(UNPAUSE_CLAIM));
    expect(await f.vault.EXIT_PAUSED_TIME()).to.equal(BigInt(EXIT_DELAY));
    expect(await f.vault.EXIT_WINDOW()).to.equal(BigInt(31 * DAY));
  });

  describe("a pause inside the grace", () => {
    it("extends the deadline by exactly the paused time", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const end = f.base(0) - GRACE;
      await pauseAt(f, end + DAY);
      await unpauseAt(f, end + DAY + 2 * HOUR);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.base(0) + 2 * HOUR);
      // The other milestones' grace lies wholly after the unpause: unmoved.
      expect(Number(await f.vault.claimDeadline(1, 1))).to.equal(f.base(1));
      await expectSlashTooEarlyAt(f, 0, f.base(0) + 2 * HOUR - 1, f.base(0) + 2 * HOUR);
      await expectSlashAt(f, 0, f.base(0) + 2 * HOUR);
    });

    it("claims one second before the extended deadline", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const end = f.base(0) - GRACE;
      await pauseAt(f, end + DAY);
      await unpauseAt(f, end + DAY + 2 * HOUR);
      await expectClaimAt(f, 0, f.base(0) + 2 * HOUR - 1);
    });

    it("gives one hour after the unpause when the pause began in the grace's last hour", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.base(0) - 10 * 60);
      await unpauseAt(f, f.base(0) - 10 * 60 + 1);
      const u = f.base(0) - 10 * 60 + 1;
      // 10 minutes of grace were left: the owner gets a full hour instead (paused 1 s + at most 1 h).
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(u + UNPAUSE_CLAIM);
      await expectClaimAt(f, 0, u + UNPAUSE_CLAIM - 1);
    });
  });

  describe("a deadline inside a long pause", () => {
    it("moves to the unpause plus the grace left when the pause began", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const end = f.base(0) - GRACE;
      // Paused from the middle of window 0 until ten days after its nominal deadline: the whole grace is left.
      await pauseAt(f, end - DAY);
      await unpauseAt(f, f.base(0) + 10 * DAY);
      const u = f.base(0) + 10 * DAY;
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(u + GRACE);
      await expectSlashTooEarlyAt(f, 0, u + GRACE - 1, u + GRACE);
      await expectSlashAt(f, 0, u + GRACE);
    });

    it("moves to unpause + 1 hour when under an hour of grace was left", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.base(0) - 30 * 60);
      await unpauseAt(f, f.base(0) + 10 * DAY);
      const u = f.base(0) + 10 * DAY;
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(u + UNPAUSE_CLAIM);
      await expectSlashTooEarlyAt(f, 0, u + UNPAUSE_CLAIM - 1, u + UNPAUSE_CLAIM);
      await expectSlashAt(f, 0, u + UNPAUSE_CLAIM);
    });

    it("with zero grace, a window ending inside the pause gets one hour after the unpause", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const start = (await networkHelpers.time.latest()) + DAY;
      const p = params(start, f.charity.address, { grace: 0 });
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      await pauseAt(f, start + WEEK - 60);
      await unpauseAt(f, start + WEEK + DAY);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(start + WEEK + DAY + UNPAUSE_CLAIM);
      // A pause that begins exactly at a zero-grace deadline does not move it.
      await pauseAt(f, start + 2 * WEEK);
      await unpauseAt(f, start + 2 * WEEK + DAY);
      expect(Number(await f.vault.claimDeadline(1, 1))).to.equal(start + 2 * WEEK);
    });

    it("reports, while paused, the deadline an unpause at the current block would give", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.base(0) - HOUR / 2);
      await networkHelpers.time.increaseTo(f.base(0) + 3 * DAY);
      const now = await networkHelpers.time.latest();
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(now + UNPAUSE_CLAIM);
    });
  });

  describe("a pause that ends less than an hour before the deadline", () => {
    /** Alice's commitment (id 1) with zero grace: milestone i's deadline is its window's end, start + (i+1) weeks. */
    async function zeroGraceFixture() {
      const f = await vaultFixture();
      const start = (await networkHelpers.time.latest()) + DAY;
      const p = params(start, f.charity.address, { grace: 0 });
      await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
      return { ...f, start, end: start + WEEK };
    }

    it("zero grace, a 10-second pause ending 1 s before the window's end: the deadline is the unpause + 1 hour", async () => {
      const f = await networkHelpers.loadFixture(zeroGraceFixture);
      const u = f.end - 1;
      await pauseAt(f, u - 10);
      await unpauseAt(f, u);
      // Before this rule the owner had 1 s after the unpause; now a full hour.
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(u + UNPAUSE_CLAIM);
      // The next window ends a week later: untouched.
      expect(Number(await f.vault.claimDeadline(1, 1))).to.equal(f.end + WEEK);
      await expectSlashTooEarlyAt(f, 0, u + UNPAUSE_CLAIM - 1, u + UNPAUSE_CLAIM);
      await expectClaimAt(f, 0, u + UNPAUSE_CLAIM - 1);
    });

    it("zero grace: the owner is slashed at the unpause + 1 hour, not later", async () => {
      const f = await networkHelpers.loadFixture(zeroGraceFixture);
      const u = f.end - 1;
      await pauseAt(f, u - 10);
      await unpauseAt(f, u);
      await expectSlashAt(f, 0, u + UNPAUSE_CLAIM);
    });

    it("a pause ending 30 minutes before the deadline, inside the window: the deadline is the unpause + 1 hour", async () => {
      const f = await networkHelpers.loadFixture(zeroGraceFixture);
      const u = f.end - 30 * 60;
      await pauseAt(f, u - 5 * 60);
      await unpauseAt(f, u);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(u + UNPAUSE_CLAIM);
      await expectClaimAt(f, 0, u + UNPAUSE_CLAIM - 1);
    });

    it("a pause ending 30 minutes before the deadline, inside the grace: the unpause + 1 hour, not the paused time", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const u = f.base(0) - 30 * 60;
      await pauseAt(f, u - 10 * 60);
      await unpauseAt(f, u);
      // Paused 10 minutes of the grace (deadline + 10 min), but only 40 minutes of claim time were left: 1 hour.
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(u + UNPAUSE_CLAIM);
      await expectSlashTooEarlyAt(f, 0, u + UNPAUSE_CLAIM - 1, u + UNPAUSE_CLAIM);
      await expectSlashAt(f, 0, u + UNPAUSE_CLAIM);
    });

    it("a pause ending 2 hours before the deadline adds no hour", async () => {
      const f = await networkHelpers.loadFixture(zeroGraceFixture);
      await pauseAt(f, f.end - 3 * HOUR);
      await unpauseAt(f, f.end - 2 * HOUR);
      // Inside the window: nothing moves (the grace had not begun).
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.end);
      await expectSlashAt(f, 0, f.end);
    });

    it("a pause ending 2 hours before the deadline, inside the grace, adds exactly its paused time", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.base(0) - 3 * HOUR);
      await unpauseAt(f, f.base(0) - 2 * HOUR);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.base(0) + HOUR);
      await expectClaimAt(f, 0, f.base(0) + HOUR - 1);
    });

    it("an unpause exactly one hour before the deadline leaves it", async () => {
      const f = await networkHelpers.loadFixture(zeroGraceFixture);
      await pauseAt(f, f.end - 2 * HOUR);
      await unpauseAt(f, f.end - HOUR);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.end);
    });

    it("chained pauses near the deadline, across the window's end: the last unpause's hour, each matching the model", async () => {
      const f = await networkHelpers.loadFixture(zeroGraceFixture);
      const line = new Timeline(f);
      // Inside the window, less than an hour apart: one run.
      await line.pause(f.end - 50 * 60);
      await line.unpause(f.end - 45 * 60);
      await line.expectModel(f.start, 8, WEEK, 0);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.end + 15 * 60);
      await line.pause(f.end - 20 * 60);
      await line.unpause(f.end - 19 * 60);
      await line.expectModel(f.start, 8, WEEK, 0);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.end + 41 * 60);
      // After the window's end, before the raised deadline: its paused time and its own hour.
      await line.pause(f.end + 10 * 60);
      await line.unpause(f.end + 20 * 60);
      await line.expectModel(f.start, 8, WEEK, 0);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.end + 20 * 60 + UNPAUSE_CLAIM);
      // A pause that begins at or after that deadline moves nothing.
      const d = f.end + 20 * 60 + UNPAUSE_CLAIM;
      await line.pause(d);
      await line.unpause(d + 60);
      await line.expectModel(f.start, 8, WEEK, 0);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(d);
      await expectSlashAt(f, 0, d + 61);
    });

    it("a commitment created right after an unpause is not moved (its first window ends an hour later at the soonest)", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const t = (await networkHelpers.time.latest()) + 100;
      await pauseAt(f, t);
      await unpauseAt(f, t + 10);
      const start = t + 11;
      const p = params(start, f.charity.address, { grace: 0, period: HOUR });
      await at(start);
      await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(start + HOUR);
    });
  });

  describe("deadlines a pause does not touch", () => {
    it("a deadline that passed before the pause began stays slashable after the unpause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.base(0) + 60);
      await unpauseAt(f, f.base(0) + 3 * DAY);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.base(0));
      const sigs = await attest(f, 0, f.base(0) + 10 * DAY);
      await at(f.base(0) + 3 * DAY + 1);
      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, f.base(0) + 10 * DAY, sigs))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
        .withArgs(1, 0, f.base(0));
      await expectSlashAt(f, 0, f.base(0) + 3 * DAY + 2);
    });

    it("a pause that begins exactly at the deadline leaves it", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.base(0));
      await unpauseAt(f, f.base(0) + DAY);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.base(0));
    });

    it("deadlines whose grace lies wholly after the unpause, and commitments created after it, are not moved", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.start + 60);
      await unpauseAt(f, f.start + 120);
      for (let i = 0; i < 8; i++) expect(Number(await f.vault.claimDeadline(1, i))).to.equal(f.base(i));
      const start = f.start + DAY;
      const p = params(start, f.charity.address, { grace: GRACE });
      await f.vault.connect(f.bob).createCommitment(p, { value: p.amount });
      expect(Number(await f.vault.claimDeadline(2, 0))).to.equal(start + WEEK + GRACE);
    });
  });

  describe("chained pauses", () => {
    it("each pause adds its paused time, and at most one hour when it ends near the deadline", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      const end = f.start + WEEK;
      // Three pauses inside milestone 0's grace, two of them within an hour of each other.
      await line.pause(end + HOUR);
      await line.unpause(end + 2 * HOUR);
      await line.pause(end + 2 * HOUR + 30 * 60);
      await line.unpause(end + 3 * HOUR);
      await line.pause(end + DAY);
      await line.unpause(end + DAY + 5);
      await line.expectModel(f.start);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(f.base(0) + HOUR + 30 * 60 + 5);
    });

    it("a guardian pausing in the last minutes of every deadline gains at most an hour per pause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      let d = f.base(0);
      for (let k = 0; k < 6; k++) {
        await line.pause(d - 60);
        await line.unpause(d - 59);
        d = Number(await f.vault.claimDeadline(1, 0));
        expect(d).to.equal(modelDeadline(f.start + WEEK, GRACE, line.pauses, d));
      }
      // Six 1-second pauses, each just before the deadline: 6 s + at most 6 hours, not days.
      expect(d).to.be.at.most(f.base(0) + 6 + 6 * HOUR);
      await line.expectModel(f.start);
      await expectSlashAt(f, 0, d);
    });

    it("pauses chained less than an hour apart share the last unpause's hour", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      const t0 = f.base(0) - 10 * 60;
      await line.pause(t0);
      await line.unpause(t0 + 1);
      await line.pause(t0 + 20 * 60);
      await line.unpause(t0 + 20 * 60 + 1);
      await line.pause(t0 + 40 * 60);
      await line.unpause(t0 + 40 * 60 + 1);
      await line.expectModel(f.start);
      expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(t0 + 40 * 60 + 1 + UNPAUSE_CLAIM);
    });

    it("matches the pause-by-pause rule over a long irregular chain (and stays O(log pauses))", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      let t = f.start + 3 * DAY;
      const steps = [1, 50 * 60, 7, 2 * HOUR, 3 * DAY, 59 * 60, 1, 11, HOUR, 5 * DAY];
      for (let k = 0; k < 40; k++) {
        const len = steps[k % steps.length] as number;
        const gap = steps[(k * 7 + 3) % steps.length] as number;
        await line.pause(t);
        await line.unpause(t + len);
        t += len + gap;
      }
      await line.expectModel(f.start);
      // A slash still costs a bounded amount with 40 pause records behind it.
      const due = Number(await f.vault.claimDeadline(1, 0));
      await networkHelpers.time.increaseTo(Math.max(due, t));
      const gas = await f.vault.connect(f.keeper).slash.estimateGas(1, 0);
      expect(gas).to.be.lessThan(120_000n);
    });
  });

  describe("the audit's scenario", () => {
    it("1 s pauses every 6 days for 78 days, then 30 days paused: every missed milestone slashed near its nominal deadline, the charity paid", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      const slashedAt: number[] = [];
      const slashDue = async (now: number) => {
        for (let i = 0; i < 8; i++) {
          if ((await f.vault.milestoneState(1, i)) !== OPEN) continue;
          if (Number(await f.vault.claimDeadline(1, i)) > now) continue;
          await at(now);
          await f.vault.connect(f.keeper).slash(1, i);
          slashedAt[i] = now;
          now += 1;
        }
        return now;
      };
      // The keeper checks every hour; the guardian pauses for one second every six days.
      let t = f.start;
      let nextPause = f.start;
      const endOfChain = f.start + 78 * DAY;
      while (t < endOfChain) {
        if (t >= nextPause) {
          await line.pause(t);
          await line.unpause(t + 1);
          t += 2;
          nextPause += 6 * DAY;
        }
        t = await slashDue(t);
        t += HOUR;
      }
      await line.expectModel(f.start);
      for (let i = 0; i < 8; i++) {
        expect(slashedAt[i], `milestone ${i} slashed`).to.not.equal(undefined);
        // Nominal deadline + the seconds paused before it + the keeper's hourly rhythm: no days.
        expect((slashedAt[i] as number) - f.base(i), `milestone ${i} delay`).to.be.lessThan(2 * HOUR);
      }
      expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(8n * SHARE);

      // Then 30 days paused: exit opens, and there is nothing left to refund.
      await line.pause(t);
      await networkHelpers.time.increaseTo(t + EXIT_DELAY);
      expect(await f.vault.exitAvailable()).to.equal(true);
      const tx = f.vault.connect(f.bob).exit(1);
      await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(1, f.alice.address, 0n);
      await expect(f.vault.connect(f.charity).withdraw(ZERO_ADDRESS)).to.changeEtherBalance(
        ethers,
        f.charity,
        8n * SHARE,
      );
    });

    it("if nobody slashed before the 30-day pause, exit still forfeits the missed milestones to the charity", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      let t = f.start;
      while (t < f.start + 78 * DAY) {
        await line.pause(t);
        await line.unpause(t + 1);
        t += 6 * DAY;
      }
      await line.pause(t);
      await networkHelpers.time.increaseTo(t + EXIT_DELAY);
      const tx = f.vault.connect(f.keeper).exit(1);
      await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(1, f.alice.address, 0n);
      await expect(tx)
        .to.emit(f.vault, "Credited")
        .withArgs(f.charity.address, ZERO_ADDRESS, 8n * SHARE);
      for (let i = 0; i < 8; i++) expect(await f.vault.milestoneState(1, i)).to.equal(SLASHED);
    });
  });

  describe("while paused", () => {
    it("reverts claim, slash and create with VaultPaused(pausedAt)", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const pausedAt = f.start + WEEK + 60;
      await pauseAt(f, pausedAt);
      const sigs = await attest(f, 0, f.start + 2 * WEEK);
      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, f.start + 2 * WEEK, sigs))
        .to.be.revertedWithCustomError(f.vault, "VaultPaused")
        .withArgs(pausedAt);
      await expect(f.vault.slash(1, 0))
        .to.be.revertedWithCustomError(f.vault, "VaultPaused")
        .withArgs(pausedAt);
      const p = params(pausedAt + DAY, f.charity.address);
      await expect(f.vault.connect(f.bob).createCommitment(p, { value: p.amount }))
        .to.be.revertedWithCustomError(f.vault, "VaultPaused")
        .withArgs(pausedAt);
      await expect(f.vault.connect(f.admin).pause())
        .to.be.revertedWithCustomError(f.vault, "VaultPaused")
        .withArgs(pausedAt);
    });

    it("reverts unpause when not paused with VaultNotPaused(lastUnpausedAt), and strangers with AccessControlUnauthorizedAccount", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await expect(f.vault.connect(f.admin).unpause())
        .to.be.revertedWithCustomError(f.vault, "VaultNotPaused")
        .withArgs(0);
      await pauseAt(f, f.start);
      await unpauseAt(f, f.start + 10);
      await expect(f.vault.connect(f.admin).unpause())
        .to.be.revertedWithCustomError(f.vault, "VaultNotPaused")
        .withArgs(f.start + 10);
      const role = await f.vault.GUARDIAN_ROLE();
      await expect(f.vault.connect(f.bob).pause())
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.bob.address, role);
      await expect(f.vault.connect(f.bob).unpause())
        .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
        .withArgs(f.bob.address, role);
    });
  });

  describe("exit", () => {
    it("opens after 30 days of pause and forfeits only what was slashable before the pause", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      // Milestone 0 claimed, milestone 1's deadline passes unslashed, then the pause begins in window 3.
      await expectClaimAt(f, 0, f.start + WEEK + 1, f.start + 2 * WEEK);
      const pausedAt = f.base(1) + DAY;
      await pauseAt(f, pausedAt);
      await networkHelpers.time.increaseTo(pausedAt + EXIT_DELAY - 2);
      expect(await f.vault.exitAvailable()).to.equal(false);
      await networkHelpers.time.increaseTo(pausedAt + EXIT_DELAY);
      expect(await f.vault.exitAvailable()).to.equal(true);
      const refund = 6n * SHARE;
      const tx = f.vault.connect(f.outsider).exit(1);
      await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(1, 1, f.charity.address, SHARE);
      await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, ZERO_ADDRESS, SHARE);
      await expect(tx).to.emit(f.vault, "CommitmentExited").withArgs(1, f.alice.address, refund);
      await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.outsider], [refund, 0n]);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.milestoneState(1, 1)).to.equal(SLASHED);
      for (let i = 2; i < 8; i++) expect(await f.vault.milestoneState(1, i)).to.equal(REFUNDED);
    });

    it("multicall([unpause, pause]) cannot reset the exit clock", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      await line.pause(f.start);
      const t = f.start + 29 * DAY;
      await at(t);
      const calls = [
        f.vault.interface.encodeFunctionData("unpause"),
        f.vault.interface.encodeFunctionData("pause"),
      ];
      await f.vault.connect(f.admin).multicall(calls);
      line.pauses[0] = { p: f.start, u: t };
      line.pauses.push({ p: t });
      await networkHelpers.time.increaseTo(f.start + EXIT_DELAY);
      const now = await networkHelpers.time.latest();
      expect(pausedInWindow(line.pauses, now)).to.equal(EXIT_DELAY);
      expect(await f.vault.exitAvailable()).to.equal(true);
      await expect(f.vault.connect(f.bob).exit(1)).to.emit(f.vault, "CommitmentExited");
    });

    it("counts the last 31 days only: a 30-day pause long ago does not open exit", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      await line.pause(f.start);
      await line.unpause(f.start + 29 * DAY);
      await line.pause(f.start + 29 * DAY + 2 * DAY);
      for (const dt of [DAY, 20 * DAY, 29 * DAY, 30 * DAY]) {
        const now = f.start + 31 * DAY + dt;
        await networkHelpers.time.increaseTo(now);
        const expected = pausedInWindow(line.pauses, now) >= EXIT_DELAY;
        expect(await f.vault.exitAvailable(), `at +${dt / DAY} days`).to.equal(expected);
      }
      expect(await f.vault.exitAvailable()).to.equal(true);
    });

    it("unpausing for a moment costs the guardian that moment, not the 30 days", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      const line = new Timeline(f);
      await line.pause(f.start);
      await line.unpause(f.start + 20 * DAY);
      await line.pause(f.start + 20 * DAY + 60);
      await networkHelpers.time.increaseTo(f.start + EXIT_DELAY + 59);
      expect(await f.vault.exitAvailable()).to.equal(false);
      await networkHelpers.time.increaseTo(f.start + EXIT_DELAY + 60);
      expect(await f.vault.exitAvailable()).to.equal(true);
    });

    it("is not available once the vault is unpaused, however long the pause lasted", async () => {
      const f = await networkHelpers.loadFixture(pauseFixture);
      await pauseAt(f, f.start);
      await unpauseAt(f, f.start + 40 * DAY);
      expect(await f.vault.exitAvailable()).to.equal(false);
      await expect(f.vault.exit(1))
        .to.be.revertedWithCustomError(f.vault, "ExitNotAvailable")
        .withArgs(EXIT_DELAY + DAY - 1, EXIT_DELAY); // the call's block is one second after the unpause
    });
  });
});
