/**
 * Independent review of vault v2 (issue 13): attacks tried as an outside auditor, kept as regression tests.
 * Each test names what it attacks; each asserts the behaviour the contract must keep.
 */
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
const { time } = networkHelpers;
const vaultFixture = makeVaultFixture(ethers);
const HOUR = 3600;
const SHARE = 10n ** 17n;

async function at(t: number) {
  await time.setNextBlockTimestamp(t);
}
async function pauseAt(f: VaultFixture, t: number) {
  await at(t);
  await (await f.vault.connect(f.admin).pause()).wait();
}
async function unpauseAt(f: VaultFixture, t: number) {
  await at(t);
  await (await f.vault.connect(f.admin).unpause()).wait();
}

interface Interval {
  p: number;
  u?: number;
}

/** The v2 rule pause by pause (same model as test/CommitmentVault.pause.test.ts). */
function modelDeadline(end: number, grace: number, pauses: readonly Interval[], now: number): number {
  let d = end + grace;
  for (const { p, u: ended } of pauses) {
    const u = ended ?? now;
    if (p >= d) break;
    if (u > end) d += u - Math.max(p, end);
    if (d < u + HOUR) d = u + HOUR;
  }
  return d;
}

/** Deterministic PRNG (mulberry32) so a failing sequence can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function attest(f: VaultFixture, id: number, index: number, validUntil: number): Promise<string[]> {
  return signSorted(f.oracles.slice(0, 2), f.vault, {
    commitmentId: BigInt(id),
    milestoneIndex: BigInt(index),
    rulesHash: (await f.vault.getCommitment(id)).rulesHash,
    evidenceHash: EVIDENCE_HASH,
    validUntil: BigInt(validUntil),
  });
}

describe("CommitmentVault review: deadlines", () => {
  it("zero grace: a pause that ends exactly at a window's end never puts claimDeadline before the window end", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address, { grace: 0 });
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    const end = start + WEEK;
    // Paused for the window's last day, unpaused exactly at its end: no claim time left, so the owner gets the
    // hour after the unpause. A later pause, after that deadline, takes the slow path and moves nothing.
    await pauseAt(f, end - DAY);
    await unpauseAt(f, end);
    expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(end + HOUR);
    await pauseAt(f, end + DAY);
    expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(end + HOUR);
    await unpauseAt(f, end + 2 * DAY);
    expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(end + HOUR);
    await f.vault.slash(1, 0);
  });

  for (const [seed, grace] of [
    [1, 0],
    [2, 0],
    [3, 30 * 60],
    [4, HOUR],
    [5, 2 * HOUR],
  ] as const) {
    it(`matches the pause-by-pause model on random pauses aligned to window ends (seed ${seed}, grace ${grace} s)`, async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const start = (await time.latest()) + HOUR;
      const count = 24;
      const p = params(start, f.charity.address, {
        grace,
        period: HOUR,
        milestones: count,
        amount: 24n * SHARE,
      });
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      const rand = rng(seed);
      const lens = [1, 60, 30 * 60, 59 * 60, HOUR, HOUR + 1, 2 * HOUR, 5 * HOUR];
      const pick = () => lens[Math.floor(rand() * lens.length)] as number;
      const pauses: Interval[] = [];
      let t = start + 10;
      for (let k = 0; k < 18; k++) {
        // Half the time, align the pause's start or end to a window end.
        const windowEnd = start + HOUR * Math.ceil((t - start) / HOUR + 0.0001);
        let s = t;
        let len = pick();
        const r = rand();
        if (r < 0.25) s = windowEnd;
        else if (r < 0.5 && windowEnd - len > t) s = windowEnd - len;
        if (s <= t) s = t + 1;
        await pauseAt(f, s);
        pauses.push({ p: s });
        if (rand() < 0.2) len = 0;
        const u = s + len;
        if (u > s) {
          await unpauseAt(f, u);
        } else {
          // multicall([unpause]) in the same second as the pause is impossible, so unpause one second later.
          await unpauseAt(f, u + 1);
        }
        const last = pauses[pauses.length - 1] as Interval;
        last.u = u > s ? u : u + 1;
        t = (last.u as number) + pick();
        const now = await time.latest();
        for (let i = 0; i < count; i++) {
          const end = start + (i + 1) * HOUR;
          expect(Number(await f.vault.claimDeadline(1, i)), `pause ${k}, milestone ${i}`).to.equal(
            modelDeadline(end, grace, pauses, now),
          );
        }
      }
    });
  }
});

describe("CommitmentVault review: double payouts and the balance", () => {
  it("appeal -> late quorum -> resolve/expire/exit pay nothing more; the vault ends empty", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address);
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    await f.vault.connect(f.admin).grantRole(await f.vault.ARBITER_ROLE(), f.admin.address);
    const bond = await f.vault.appealBond(1, 0);
    await time.increaseTo(start + WEEK + HOUR);
    await f.vault.connect(f.alice).appeal(1, 0, { value: bond });
    // A late quorum settles the appealed milestone: share + bond to alice.
    const now = await time.latest();
    const sigs = await attest(f, 1, 0, now + DAY);
    await expect(f.vault.claimMilestone(1, 0, EVIDENCE_HASH, now + DAY, sigs)).to.changeEtherBalance(
      ethers,
      f.alice,
      SHARE + bond,
    );
    await expect(f.vault.connect(f.admin).resolveAppeal(1, 0, false)).to.be.revertedWithCustomError(
      f.vault,
      "MilestoneNotAppealed",
    );
    await time.increase(15 * DAY);
    await expect(f.vault.expireAppeal(1, 0)).to.be.revertedWithCustomError(f.vault, "MilestoneNotAppealed");
    await expect(f.vault.claimMilestone(1, 0, EVIDENCE_HASH, now + DAY, sigs)).to.be.revertedWithCustomError(
      f.vault,
      "MilestoneNotOpen",
    );

    // Milestone 3: appeal, expire (owner whole), then nothing else can move it.
    await f.vault.connect(f.admin).pause();
    await f.vault.connect(f.admin).unpause();
    const bond1 = await f.vault.appealBond(1, 3);
    await time.increaseTo(start + 4 * WEEK + HOUR);
    await f.vault.connect(f.alice).appeal(1, 3, { value: bond1 });
    await time.increase(14 * DAY);
    await expect(f.vault.expireAppeal(1, 3)).to.changeEtherBalance(ethers, f.alice, SHARE + bond1);
    expect(await f.vault.milestoneState(1, 3)).to.equal(3n);
    await expect(f.vault.slash(1, 3)).to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen");
    await expect(f.vault.connect(f.alice).appeal(1, 3, { value: bond1 })).to.be.revertedWithCustomError(
      f.vault,
      "MilestoneNotOpen",
    );
    await expect(f.vault.connect(f.admin).resolveAppeal(1, 3, true)).to.be.revertedWithCustomError(
      f.vault,
      "MilestoneNotAppealed",
    );

    // Exit after 30 days of pause: the expired appeal is not refunded again; everything else settles once.
    await f.vault.connect(f.admin).pause();
    await time.increase(30 * DAY);
    const charityBefore = await f.vault.credits(f.charity.address, ZERO_ADDRESS);
    await f.vault.exit(1);
    await expect(f.vault.exit(1)).to.be.revertedWithCustomError(f.vault, "CommitmentClosed");
    const charity = (await f.vault.credits(f.charity.address, ZERO_ADDRESS)) - charityBefore;
    const aliceCredit = await f.vault.credits(f.alice.address, ZERO_ADDRESS);
    const vaultBalance = await ethers.provider.getBalance(f.vault);
    // Nothing is locked any more: the balance is exactly the credits.
    expect(vaultBalance).to.equal(charity + charityBefore + aliceCredit);
    await f.vault.connect(f.admin).unpause();
    if (charity + charityBefore > 0n) await f.vault.withdrawFor(f.charity.address, ZERO_ADDRESS);
    expect(await ethers.provider.getBalance(f.vault)).to.equal(aliceCredit);
  });

  it("an ERC-20 appeal bond is pulled from the owner and rejected bond top-ups from others cannot be made", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const token = await f.usdc.getAddress();
    const p = params(start, f.charity.address, { token, amount: 8_000_000n });
    await f.usdc.connect(f.alice).approve(f.vault, p.amount + 100_000n);
    await f.vault.connect(f.alice).createCommitment(p);
    await time.increaseTo(start + WEEK + HOUR);
    // Only the owner may appeal, and an ERC-20 appeal takes no ETH.
    await expect(f.vault.connect(f.bob).appeal(1, 0)).to.be.revertedWithCustomError(
      f.vault,
      "NotCommitmentOwner",
    );
    await expect(f.vault.connect(f.alice).appeal(1, 0, { value: 1n })).to.be.revertedWithCustomError(
      f.vault,
      "IncorrectValue",
    );
    await expect(f.vault.connect(f.alice).appeal(1, 0)).to.changeTokenBalances(
      ethers,
      f.usdc,
      [f.alice, f.vault],
      [-100_000n, 100_000n],
    );
    expect((await f.vault.appealOf(1, 0))[1]).to.equal(100_000n);
    await f.vault.connect(f.admin).grantRole(await f.vault.ARBITER_ROLE(), f.admin.address);
    await f.vault.connect(f.admin).resolveAppeal(1, 0, false);
    expect(await f.vault.credits(f.charity.address, token)).to.equal(1_100_000n);
    expect(await f.usdc.balanceOf(f.vault)).to.equal(8_100_000n);
  });
});

describe("CommitmentVault review: storage shared with the extension", () => {
  it("setOracles (run in the extension) while paused keeps the pause, the id counter and the pause log", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address);
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    await f.vault.connect(f.admin).pause();
    const before = await f.vault.pauseState();
    await f.vault
      .connect(f.admin)
      .setOracles([(f.oracles[2] as VaultFixture["outsider"]).address, f.outsider.address], 1);
    expect(await f.vault.paused()).to.equal(true);
    expect(await f.vault.commitmentCount()).to.equal(2n);
    expect(await f.vault.pauseState()).to.deep.equal(before);
    expect(await f.vault.threshold()).to.equal(1n);
    // Slot 0 is the globals word in both contracts (CommitmentVaultState comes first in the vault's layout):
    // last id at bit 160, threshold at 200, paused at 208, oracle count at 209.
    const g = BigInt(await ethers.provider.getStorage(f.vault, 0));
    expect((g >> 160n) & 0xffffffffffn).to.equal(2n);
    expect((g >> 200n) & 0xffn).to.equal(1n);
    expect((g >> 208n) & 1n).to.equal(1n);
    expect((g >> 209n) & 0x7fn).to.equal(2n);
    await f.vault.connect(f.admin).unpause();
    // The next id continues from the vault's counter.
    await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
      .to.emit(f.vault, "CommitmentCreated")
      .withArgs(
        3,
        f.alice.address,
        ZERO_ADDRESS,
        p.amount,
        start,
        WEEK,
        8,
        p.grace,
        f.charity.address,
        p.rulesHash,
      );
  });

  it("a removed oracle's signature is refused at once, in the one-signature and the blob path", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address);
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    await time.increaseTo(start + HOUR);
    const [o1, o2, o3] = f.oracles as [
      VaultFixture["outsider"],
      VaultFixture["outsider"],
      VaultFixture["outsider"],
    ];
    const validUntil = start + DAY;
    const sigs = await attest(f, 1, 0, validUntil); // o1, o2
    // Remove o1; keep a 2-of-2 set of o2, o3: o1's signature no longer counts.
    await f.vault.connect(f.admin).setOracles([o3.address, o2.address], 2);
    await expect(f.vault.claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
      .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
      .withArgs(0, o1.address);
    // 1-of-1 with o2: o1 alone is refused too.
    await f.vault.connect(f.admin).setOracles([o2.address], 1);
    await expect(f.vault.claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs.slice(0, 1)))
      .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
      .withArgs(0, o1.address);
    // The same signer twice (a duplicate) is refused as not ascending.
    const two = await signSorted([o2], f.vault, {
      commitmentId: 1n,
      milestoneIndex: 0n,
      rulesHash: p.rulesHash,
      evidenceHash: EVIDENCE_HASH,
      validUntil: BigInt(validUntil),
    });
    await f.vault.connect(f.admin).setOracles([o2.address, o3.address], 2);
    await expect(
      f.vault.claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [two[0] as string, two[0] as string]),
    ).to.be.revertedWithCustomError(f.vault, "SignersNotAscending");
  });
});

describe("CommitmentVault review: reentrancy through the extension", () => {
  it("an owner re-entering expireAppeal (or withdraw) from its payout is refused: one payout only", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const receiver = await ethers.deployContract("ReentrantReceiver");
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address);
    await f.vault.connect(f.bob).createCommitmentFor(receiver, p, { value: p.amount });
    await time.increaseTo(start + WEEK + HOUR);
    const bond = await f.vault.appealBond(1, 0);
    await receiver.execute(f.vault, f.vault.interface.encodeFunctionData("appeal", [1, 0]), { value: bond });
    expect(await f.vault.milestoneState(1, 0)).to.equal(4n);
    await receiver.setReentry(f.vault, f.vault.interface.encodeFunctionData("expireAppeal", [1, 0]));
    await time.increase(14 * DAY);
    await expect(f.vault.connect(f.keeper).expireAppeal(1, 0)).to.changeEtherBalance(
      ethers,
      receiver,
      SHARE + bond,
    );
    expect(await receiver.attempted()).to.equal(true);
    expect(await receiver.reentrySucceeded()).to.equal(false);
    const reentrant = f.vault.interface.encodeErrorResult("ReentrantCall", [await receiver.getAddress()]);
    expect(await receiver.reentryRevertHash()).to.equal(ethers.keccak256(reentrant));
    await expect(f.vault.expireAppeal(1, 0)).to.be.revertedWithCustomError(f.vault, "MilestoneNotAppealed");
    // Exit later refunds only the still-open milestones (not the expired appeal's share or bond again).
    await f.vault.connect(f.admin).pause();
    await time.increase(30 * DAY);
    await receiver.setReentry(f.vault, f.vault.interface.encodeFunctionData("exit", [1]));
    const open = await ethers.provider.getBalance(f.vault);
    await f.vault.exit(1);
    const forfeited = await f.vault.credits(f.charity.address, ZERO_ADDRESS);
    const received = open - (await ethers.provider.getBalance(f.vault));
    expect(received + forfeited).to.equal(p.amount - SHARE);
    expect(await receiver.reentrySucceeded()).to.equal(false);
  });
});

describe("CommitmentVault review: exit clock", () => {
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

  for (const seed of [7, 8, 9]) {
    it(`exitAvailable is "paused now and 30 of the last 31 days paused" over random pause chains (seed ${seed})`, async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const rand = rng(seed);
      const lens = [1, HOUR, DAY, 5 * DAY, 10 * DAY, 29 * DAY, 30 * DAY - 1];
      const pick = () => lens[Math.floor(rand() * lens.length)] as number;
      const pauses: Interval[] = [];
      let t = (await time.latest()) + HOUR;
      for (let k = 0; k < 24; k++) {
        await pauseAt(f, t);
        pauses.push({ p: t });
        // Look at the clock inside the pause, at a random point and at the 30-day boundary.
        const len = pick();
        for (const probe of [Math.floor(len / 2), len]) {
          if (probe > 0) await time.increaseTo(t + probe);
          const now = await time.latest();
          expect(await f.vault.exitAvailable(), `pause ${k} +${probe}`).to.equal(
            pausedInWindow(pauses, now) >= 30 * DAY,
          );
        }
        t = Math.max(t + len, await time.latest()) + 1;
        await unpauseAt(f, t);
        (pauses[pauses.length - 1] as Interval).u = t;
        expect(await f.vault.exitAvailable()).to.equal(false);
        t += rand() < 0.5 ? 1 : pick();
      }
    });
  }
});

describe("CommitmentVault review: exit forfeits exactly what was slashable before the pause", () => {
  for (const [seed, grace] of [
    [11, 0],
    [12, 30 * 60],
    [13, 2 * HOUR],
  ] as const) {
    it(`matches the pause-by-pause model after a random chain then 30 days paused (seed ${seed}, grace ${grace} s)`, async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const start = (await time.latest()) + HOUR;
      const count = 24;
      const p = params(start, f.charity.address, {
        grace,
        period: HOUR,
        milestones: count,
        amount: 24n * SHARE,
      });
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      const rand = rng(seed);
      const lens = [1, 60, 30 * 60, 59 * 60, HOUR, HOUR + 1, 2 * HOUR];
      const pick = () => lens[Math.floor(rand() * lens.length)] as number;
      const pauses: Interval[] = [];
      let t = start + 10;
      for (let k = 0; k < 8; k++) {
        await pauseAt(f, t);
        const u = t + pick();
        await unpauseAt(f, u);
        pauses.push({ p: t, u });
        t = u + pick();
      }
      // The long pause begins at a random point; a multicall([unpause, pause]) in the middle changes nothing.
      await pauseAt(f, t);
      pauses.push({ p: t });
      const pausedAt = t;
      await time.increaseTo(t + 20 * DAY);
      const v = f.vault.connect(f.admin);
      await v.multicall([v.interface.encodeFunctionData("unpause"), v.interface.encodeFunctionData("pause")]);
      const mid = await time.latest();
      (pauses[pauses.length - 1] as Interval).u = mid;
      pauses.push({ p: mid });
      await time.increaseTo(pausedAt + 30 * DAY);
      expect(await f.vault.exitAvailable()).to.equal(true);
      await f.vault.exit(1);
      let forfeited = 0n;
      for (let i = 0; i < count; i++) {
        const end = start + (i + 1) * HOUR;
        // Forfeit when the deadline had passed before the *current* pause began (the one after the multicall
        // joins the same run, so a deadline inside the long pause is never forfeited).
        const due = modelDeadline(end, grace, pauses.slice(0, -2), pausedAt);
        const expected = due <= pausedAt ? 2n : 3n;
        if (expected === 2n) forfeited += SHARE;
        expect(
          await f.vault.milestoneState(1, i),
          `milestone ${i} (due ${due - pausedAt} s after the pause)`,
        ).to.equal(expected);
      }
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(forfeited);
    });
  }
});

describe("CommitmentVault review: exit after an unpause near deadlines", () => {
  it("forfeits every milestone whose deadline, the hour after an unpause included, passed before the pause", async () => {
    // Window 0 ends at E inside a pause that ends at E + 30 min; window 1 ends at E + 60 min, less than an hour after
    // that unpause: both get its hour (E + 90 min), so deadlines stay in window order (under the v1-era rule window
    // 1 kept E + 60 min and came before window 0's). Window 2 ends at E + 120 min, an hour and a half after the
    // unpause: unmoved. A pause from E + 125 min lasting 30 days then exits.
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + HOUR;
    const count = 8;
    const p = params(start, f.charity.address, {
      grace: 0,
      period: HOUR,
      milestones: count,
      amount: 8n * SHARE,
    });
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    const e = start + HOUR;
    await pauseAt(f, e - 10 * 60);
    await unpauseAt(f, e + 30 * 60);
    expect(Number(await f.vault.claimDeadline(1, 0))).to.equal(e + 90 * 60);
    expect(Number(await f.vault.claimDeadline(1, 1))).to.equal(e + 90 * 60);
    expect(Number(await f.vault.claimDeadline(1, 2))).to.equal(e + 120 * 60);
    expect(Number(await f.vault.claimDeadline(1, 3))).to.equal(e + 180 * 60);
    const pausedAt = e + 125 * 60;
    await pauseAt(f, pausedAt);
    await time.increaseTo(pausedAt + 30 * DAY);
    const tx = f.vault.connect(f.keeper).exit(1);
    // Milestones 0..2 were slashable before the pause: they go to the charity, as slashes would have sent them.
    for (const i of [0, 1, 2]) {
      await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(1, i, f.charity.address, SHARE);
    }
    await expect(tx)
      .to.emit(f.vault, "CommitmentExited")
      .withArgs(1, f.alice.address, SHARE * BigInt(count - 3));
    for (const i of [0, 1, 2]) expect(await f.vault.milestoneState(1, i)).to.equal(2n);
    for (let i = 3; i < count; i++) expect(await f.vault.milestoneState(1, i)).to.equal(3n);
    expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(3n * SHARE);
  });
});
