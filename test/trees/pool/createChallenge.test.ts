/** Mirrors test/trees/pool/createChallenge.tree branch by branch. */
import { expect } from "chai";
import { network } from "hardhat";
import { challengeParams, makePoolFixture } from "../../helpers/pool.js";
import { DAY, WEEK, ZERO_ADDRESS } from "../../helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const poolFixture = makePoolFixture(ethers);

type Overrides = Parameters<typeof challengeParams>[2];

/** A fresh pool; `now` is the latest block (a reverted call is evaluated at now + 1), challenges start a day later. */
async function setup() {
  const f = await networkHelpers.loadFixture(poolFixture);
  const now = await time.latest();
  const start = now + DAY;
  const base = challengeParams(start, f);
  const expectRevert = async (o: Overrides, error: string, args: unknown[]) => {
    await expect(f.pool.createChallenge({ ...base, ...o }))
      .to.be.revertedWithCustomError(f.pool, error)
      .withArgs(...args);
    expect(await f.pool.challengeCount()).to.equal(0n);
  };
  return { f, now, start, base, expectRevert, pool: await f.pool.getAddress() };
}

describe("createChallenge", () => {
  it("when the token is neither ETH nor allowlisted by the vault: it should revert with TokenNotAllowed", async () => {
    const { f, expectRevert } = await setup();
    await expectRevert({ token: f.outsider.address }, "TokenNotAllowed", [f.outsider.address]);
  });

  it("when the stake is zero: it should revert with InvalidStake", async () => {
    const { expectRevert } = await setup();
    await expectRevert({ stake: 0n }, "InvalidStake", [0]);
  });

  it("when the join deadline is not after now or is after the start: it should revert with InvalidJoinDeadline", async () => {
    const { now, start, expectRevert } = await setup();
    await expectRevert({ joinDeadline: BigInt(now + 1) }, "InvalidJoinDeadline", [now + 1, start, now + 1]);
    await expectRevert({ joinDeadline: BigInt(start + 1) }, "InvalidJoinDeadline", [
      start + 1,
      start,
      now + 1,
    ]);
  });

  it("when the start is more than 365 days ahead: it should revert with InvalidStart", async () => {
    const { now, expectRevert } = await setup();
    const far = BigInt(now + 1 + 365 * DAY + 1);
    await expectRevert({ start: far, joinDeadline: far }, "InvalidStart", [far, now + 1 + 365 * DAY]);
  });

  it("when the schedule is outside the vault's bounds: it should revert with InvalidSchedule", async () => {
    const { expectRevert } = await setup();
    await expectRevert({ period: 3599 }, "InvalidSchedule", [3599, 2, DAY]);
    await expectRevert({ period: 366 * DAY + 1 }, "InvalidSchedule", [366 * DAY + 1, 2, DAY]);
    await expectRevert({ milestones: 0 }, "InvalidSchedule", [WEEK, 0, DAY]);
    await expectRevert({ milestones: 105 }, "InvalidSchedule", [WEEK, 105, DAY]);
    await expectRevert({ grace: 7 * DAY + 1 }, "InvalidSchedule", [WEEK, 2, 7 * DAY + 1]);
  });

  it("when the rules hash is zero: it should revert with InvalidRulesHash", async () => {
    const { expectRevert } = await setup();
    await expectRevert({ rulesHash: ethers.ZeroHash }, "InvalidRulesHash", [ethers.ZeroHash]);
  });

  it("when maxParticipants is below 2 or above 10,000: it should revert with InvalidMaxParticipants", async () => {
    const { expectRevert } = await setup();
    await expectRevert({ maxParticipants: 1 }, "InvalidMaxParticipants", [1]);
    await expectRevert({ maxParticipants: 10_001 }, "InvalidMaxParticipants", [10_001]);
  });

  it("when the fee is above 10 %: it should revert with InvalidFee", async () => {
    const { expectRevert } = await setup();
    await expectRevert({ feeBps: 1_001 }, "InvalidFee", [1_001, 1_000]);
  });

  it("when the fee recipient is the zero address or the pool: it should revert with InvalidFeeRecipient", async () => {
    const { pool, expectRevert } = await setup();
    await expectRevert({ feeRecipient: ZERO_ADDRESS }, "InvalidFeeRecipient", [ZERO_ADDRESS]);
    await expectRevert({ feeRecipient: pool }, "InvalidFeeRecipient", [pool]);
  });

  it("when the fallback beneficiary is the zero address or the pool: it should revert with InvalidFallbackBeneficiary", async () => {
    const { pool, expectRevert } = await setup();
    await expectRevert({ fallbackBeneficiary: ZERO_ADDRESS }, "InvalidFallbackBeneficiary", [ZERO_ADDRESS]);
    await expectRevert({ fallbackBeneficiary: pool }, "InvalidFallbackBeneficiary", [pool]);
  });

  it("when every field is valid: it should store the terms under the next id and emit ChallengeCreated", async () => {
    const { f, base } = await setup();
    // The bounds themselves are valid: 2 participants, a 10 % fee, an allowlisted token, joinDeadline == start.
    const usdc = { ...base, token: await f.usdc.getAddress(), maxParticipants: 2, feeBps: 1_000 };
    await expect(f.pool.connect(f.bob).createChallenge(usdc))
      .to.emit(f.pool, "ChallengeCreated")
      .withArgs(1, f.bob.address);
    await expect(f.pool.createChallenge({ ...base, maxParticipants: 10_000 }))
      .to.emit(f.pool, "ChallengeCreated")
      .withArgs(2, f.admin.address);
    const [stored, participants, settled, finishers, pot] = await f.pool.challenge(1);
    expect(stored.token).to.equal(usdc.token);
    expect(stored.stake).to.equal(usdc.stake);
    expect(stored.start).to.equal(usdc.start);
    expect(stored.joinDeadline).to.equal(usdc.start);
    expect(stored.maxParticipants).to.equal(2n);
    expect(stored.feeBps).to.equal(1_000n);
    expect(stored.feeRecipient).to.equal(usdc.feeRecipient);
    expect(stored.fallbackBeneficiary).to.equal(usdc.fallbackBeneficiary);
    expect([participants, settled, finishers, pot]).to.deep.equal([0n, 0n, 0n, 0n]);
    expect((await f.pool.challenge(2))[0].maxParticipants).to.equal(10_000n);
    expect(await f.pool.challengeCount()).to.equal(2n);
  });
});
