/**
 * ChallengePool under attack: double joins, late and over-capacity joins, claims twice / by non-finishers / too early,
 * cross-challenge drains in one token, reentrant ERC-20 and ETH receivers, refunded and appealing participants.
 */
import { expect } from "chai";
import { network } from "hardhat";
import {
  challengeParams,
  claim,
  ETH_STAKE,
  FINISHED,
  makePoolFixture,
  OUT,
  type PoolFixture,
  playOut,
  USDC_STAKE,
} from "./helpers/pool.js";
import { DAY, ZERO_ADDRESS } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const poolFixture = makePoolFixture(ethers);

/** The pool's `ReentrantCall(address caller)` revert data for a re-entry made by `caller`. */
function reentrantCall(caller: string): string {
  return ethers.concat([ethers.id("ReentrantCall(address)").slice(0, 10), ethers.zeroPadValue(caller, 32)]);
}

/** Pool balance + vault credits of the pool must cover its liabilities in `token`. */
async function expectSolvent(f: PoolFixture, token: string) {
  const pool = await f.pool.getAddress();
  const balance =
    token === ZERO_ADDRESS ? await ethers.provider.getBalance(pool) : await f.usdc.balanceOf(pool);
  const held = balance + (await f.vault.credits(pool, token));
  expect(held >= (await f.pool.liabilities(token))).to.equal(true);
}

describe("ChallengePool attacks: cross-challenge drain", () => {
  it("two USDC challenges never pay from each other's pots, whatever the order of settlements and claims", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const usdc = await f.usdc.getAddress();
    const start = (await time.latest()) + DAY;
    // Challenge 1: alice finishes, bob loses everything (pot 100 USDC). Challenge 2: carol and dave both finish (pot 0).
    const p = challengeParams(start, f, { token: usdc, stake: USDC_STAKE, feeBps: 0 });
    await f.pool.createChallenge(p);
    await f.pool.createChallenge(p);
    for (const who of [f.alice, f.bob, f.carol, f.dave])
      await f.usdc.connect(who).approve(f.pool, USDC_STAKE);
    await f.pool.connect(f.alice).join(1);
    await f.pool.connect(f.bob).join(1);
    await f.pool.connect(f.carol).join(2);
    await f.pool.connect(f.dave).join(2);
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RR"],
      [f.bob, "SS"],
      [f.carol, "RR", 2n],
      [f.dave, "RR", 2n],
    ]);
    // Challenge 2 closes first, while the pool already holds challenge 1's slashed stake as a vault credit.
    await f.pool.settleParticipant(2, f.carol);
    await f.pool.settleParticipant(2, f.dave);
    expect(await f.pool.winningsOf(2, f.carol)).to.equal(0n);
    await expect(f.pool.connect(f.carol).claimWinnings(2)).to.changeTokenBalance(ethers, f.usdc, f.carol, 0n);
    // Carol is not in challenge 1: she cannot claim its pot.
    await expect(f.pool.connect(f.carol).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "NotFinisher")
      .withArgs(1, f.carol.address, 0);
    await f.pool.settleParticipant(1, f.bob);
    // Alice is not settled yet: challenge 1 is not final, and challenge 2's finisher still gets nothing.
    await expect(f.pool.connect(f.dave).claimWinnings(2)).to.changeTokenBalance(ethers, f.usdc, f.dave, 0n);
    await f.pool.settleParticipant(1, f.alice);
    await expect(f.pool.connect(f.alice).claimWinnings(1)).to.changeTokenBalance(
      ethers,
      f.usdc,
      f.alice,
      USDC_STAKE,
    );
    expect(await f.pool.liabilities(usdc)).to.equal(0n);
    await expectSolvent(f, usdc);
  });

  it("a pot counts only the vault's Slashed shares, so a later challenge cannot claim an earlier one's credits", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start, f, { feeBps: 0 }));
    for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RR"],
      [f.bob, "SS"],
    ]);
    // The pool now has 1 ETH of vault credits that belong to challenge 1 (not settled yet).
    const start2 = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start2, f, { feeBps: 0 }));
    for (const who of [f.carol, f.dave]) await f.pool.connect(who).join(2, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 2n, [
      [f.carol, "RR"],
      [f.dave, "RR"],
    ]);
    await f.pool.settleParticipant(2, f.carol);
    await f.pool.settleParticipant(2, f.dave);
    const [, , , , pot2] = await f.pool.challenge(2);
    expect(pot2).to.equal(0n);
    await f.pool.connect(f.carol).claimWinnings(2);
    await f.pool.settleParticipant(1, f.alice);
    await f.pool.settleParticipant(1, f.bob);
    await expect(f.pool.connect(f.alice).claimWinnings(1)).to.changeEtherBalance(ethers, f.alice, ETH_STAKE);
    await expectSolvent(f, ZERO_ADDRESS);
  });
});

describe("ChallengePool attacks: claims", () => {
  it("a finisher cannot claim twice, a loser never, and nobody before everyone is settled", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start, f));
    for (const who of [f.alice, f.bob, f.carol]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RR"],
      [f.bob, "SR"],
      [f.carol, "R-"],
    ]);
    await f.pool.settleParticipant(1, f.alice);
    await f.pool.settleParticipant(1, f.bob);
    // Carol's last milestone is open past its deadline until someone slashes it: the challenge waits for her.
    await expect(f.pool.connect(f.alice).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "ChallengeNotSettled")
      .withArgs(1, 2, 3);
    await f.vault.slash(3, 1);
    await f.pool.settleParticipant(1, f.carol);
    await f.pool.connect(f.alice).claimWinnings(1);
    await expect(f.pool.connect(f.alice).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "AlreadyClaimed")
      .withArgs(1, f.alice.address);
    await expect(f.pool.connect(f.bob).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "NotFinisher")
      .withArgs(1, f.bob.address, OUT);
    await expectSolvent(f, ZERO_ADDRESS);
  });
});

describe("ChallengePool attacks: reentrancy", () => {
  it("an ERC-20 that calls back into join during the pull is refused with ReentrantCall", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const token = await ethers.deployContract("ReentrantToken");
    const tokenAddress = await token.getAddress();
    await f.vault.connect(f.admin).setTokenAllowed(token, true);
    await token.mint(f.alice.address, 10_000n);
    await token.connect(f.alice).approve(f.pool, 1_000n);
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start, f, { token: tokenAddress, stake: 1_000n }));
    await token.arm(f.pool, f.pool.interface.encodeFunctionData("join", [1n]));
    await expect(f.pool.connect(f.alice).join(1)).to.emit(f.pool, "Joined");
    expect(await token.attempted()).to.equal(true);
    expect(await token.reentrySucceeded()).to.equal(false);
    expect(await token.reentryRevertData()).to.equal(reentrantCall(tokenAddress));
    expect((await f.pool.challenge(1))[1]).to.equal(1n);
  });

  it("an ETH receiver that re-enters claimWinnings while being paid is refused with ReentrantCall", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const receiver = await ethers.deployContract("ReentrantReceiver");
    const receiverAddress = await receiver.getAddress();
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start, f, { feeBps: 0 }));
    await receiver.execute(f.pool, f.pool.interface.encodeFunctionData("join", [1n]), { value: ETH_STAKE });
    await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [{ address: receiverAddress }, "RR"],
      [f.alice, "SS"],
    ]);
    await f.pool.settleParticipant(1, receiver);
    await f.pool.settleParticipant(1, f.alice);
    const claimData = f.pool.interface.encodeFunctionData("claimWinnings", [1n]);
    await receiver.setReentry(f.pool, claimData);
    await expect(receiver.execute(f.pool, claimData)).to.changeEtherBalance(ethers, receiver, ETH_STAKE);
    expect(await receiver.attempted()).to.equal(true);
    expect(await receiver.reentrySucceeded()).to.equal(false);
    expect(await receiver.reentryRevertHash()).to.equal(ethers.keccak256(reentrantCall(receiverAddress)));
  });
});

describe("ChallengePool attacks: refunded and appealing participants", () => {
  it("a participant who cancelled before the start is out, adds nothing to the pot, and cannot settle early", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + 2 * DAY;
    const p = challengeParams(start, f, { joinDeadline: BigInt(start - DAY) });
    await f.pool.createChallenge(p);
    for (const who of [f.alice, f.bob, f.carol]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
    await expect(f.vault.connect(f.carol).cancel(3)).to.changeEtherBalance(ethers, f.carol, ETH_STAKE);
    // Every milestone is Refunded, but joins are still open: settling would close the challenge too early.
    await expect(f.pool.settleParticipant(1, f.carol))
      .to.be.revertedWithCustomError(f.pool, "JoinPeriodNotOver")
      .withArgs(1, p.joinDeadline);
    await time.increaseTo(p.joinDeadline);
    await expect(f.pool.settleParticipant(1, f.carol))
      .to.emit(f.pool, "ParticipantSettled")
      .withArgs(1, f.carol.address, false, 0);
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RR"],
      [f.bob, "RS"],
    ]);
    await f.pool.settleParticipant(1, f.alice);
    await f.pool.settleParticipant(1, f.bob);
    const pot = ETH_STAKE / 2n;
    expect((await f.pool.challenge(1)).slice(1)).to.deep.equal([3n, 3n, 1n, pot]);
    await expect(f.pool.connect(f.carol).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "NotFinisher")
      .withArgs(1, f.carol.address, OUT);
    await expect(f.pool.connect(f.alice).claimWinnings(1)).to.changeEtherBalance(
      ethers,
      f.alice,
      (pot * 9_500n) / 10_000n,
    );
    await expectSolvent(f, ZERO_ADDRESS);
  });

  it("a participant refunded by exit keeps their Released shares, loses only forfeited ones, and does not finish", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start, f, { milestones: 3, stake: 3n * 10n ** 18n }));
    for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: 3n * 10n ** 18n });
    const [p] = await f.pool.challenge(1);
    // Milestone 0: alice claims, bob misses (forfeited before the pause). Then the vault stays paused 30 days.
    await time.increaseTo(Number(p.start));
    await claim(f, networkHelpers, 1n, 0);
    await time.increaseTo(Number(p.start) + Number(p.period) + Number(p.grace));
    await f.vault.connect(f.admin).pause();
    await time.increase(30 * DAY);
    await f.vault.exit(1);
    await f.vault.exit(2);
    const [low1] = await f.vault.milestoneStates(1);
    expect(low1).to.equal(1n | (3n << 2n) | (3n << 4n)); // Released, Refunded, Refunded
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.emit(f.pool, "ParticipantSettled")
      .withArgs(1, f.alice.address, false, 0);
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.emit(f.pool, "ChallengeClosed")
      .withArgs(1, 10n ** 18n, 0, 0, f.fallback.address, 10n ** 18n);
    await expectSolvent(f, ZERO_ADDRESS);
  });

  it("an Appealed milestone blocks settlement; a rejected appeal counts the share, the bond is surplus", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start, f, { milestones: 1 }));
    for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
    const [p] = await f.pool.challenge(1);
    await time.increaseTo(Number(p.start));
    await claim(f, networkHelpers, 1n, 0);
    await time.increaseTo(Number(p.start) + Number(p.period));
    const bond = await f.vault.appealBond(2, 0);
    await f.vault.connect(f.bob).appeal(2, 0, { value: bond });
    await time.increase(2 * DAY);
    await f.pool.settleParticipant(1, f.alice);
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.be.revertedWithCustomError(f.pool, "MilestoneUnsettled")
      .withArgs(1, f.bob.address, 0);
    await f.vault.connect(f.admin).grantRole(await f.vault.ARBITER_ROLE(), f.admin);
    await f.vault.connect(f.admin).resolveAppeal(2, 0, false);
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.emit(f.pool, "ParticipantSettled")
      .withArgs(1, f.bob.address, false, ETH_STAKE);
    expect(await f.pool.statusOf(1, f.alice)).to.equal(FINISHED);
    const each = (ETH_STAKE * 9_500n) / 10_000n;
    await expect(f.pool.connect(f.alice).claimWinnings(1)).to.changeEtherBalance(ethers, f.alice, each);
    await expect(f.pool.connect(f.admin).sweepSurplus(ZERO_ADDRESS, f.charity))
      .to.emit(f.pool, "SurplusSwept")
      .withArgs(ZERO_ADDRESS, f.charity.address, bond);
    await expectSolvent(f, ZERO_ADDRESS);
  });
});

describe("ChallengePool: no loop over participants", () => {
  it("with 40 participants, settling the 6th and the 39th and the 2nd and 36th claims cost the same (O(1) in the count)", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(challengeParams(start, f, { milestones: 1, maxParticipants: 10_000 }));
    const people = [];
    for (let i = 0; i < 40; i++) {
      const wallet = new ethers.Wallet(ethers.id(`participant ${i}`), ethers.provider);
      await networkHelpers.setBalance(wallet.address, 10n ** 20n);
      await f.pool.connect(wallet).join(1, { value: ETH_STAKE });
      people.push(wallet);
    }
    // Everyone but the first four finishes.
    await playOut(
      f,
      networkHelpers,
      1n,
      people.map((p, i) => [p, i < 4 ? "S" : "R"] as const),
    );
    const gas = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) =>
      Number((await (await tx).wait())?.gasUsed ?? 0n);
    const settle: number[] = [];
    for (const p of people) settle.push(await gas(f.pool.settleParticipant(1, p.address)));
    // Finishers 5 and 38 (neither the first to write a counter nor the last, which closes the challenge).
    expect(Math.abs((settle[5] as number) - (settle[38] as number))).to.be.lessThan(300);
    const claims: number[] = [];
    for (const p of people.slice(4)) claims.push(await gas(f.pool.connect(p).claimWinnings(1)));
    // The first claim pulls the pool's vault credits; the 2nd and the 36th then cost the same.
    expect(Math.abs((claims[1] as number) - (claims[35] as number))).to.be.lessThan(300);
    await expectSolvent(f, ZERO_ADDRESS);
  });
});
