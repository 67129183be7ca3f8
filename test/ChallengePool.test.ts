/** ChallengePool: every function's happy path, every revert with its arguments, and the events. */
import { expect } from "chai";
import type { Signature } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { MockERC20Permit } from "../types/ethers-contracts/index.js";
import {
  CLAIMED,
  challengeParams,
  ETH_STAKE,
  FINISHED,
  JOINED,
  makePoolFixture,
  NONE,
  OUT,
  type PoolFixture,
  playOut,
  USDC_STAKE,
} from "./helpers/pool.js";
import { DAY, WEEK, ZERO_ADDRESS } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const poolFixture = makePoolFixture(ethers);

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

async function signPermit(
  signer: HardhatEthersSigner,
  token: MockERC20Permit,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<Signature> {
  const { chainId } = await ethers.provider.getNetwork();
  const domain = {
    name: "USD Coin (local)",
    version: "1",
    chainId,
    verifyingContract: await token.getAddress(),
  };
  const nonce = await token.nonces(signer.address);
  const raw = await signer.signTypedData(domain, PERMIT_TYPES, {
    owner: signer.address,
    spender,
    value,
    nonce,
    deadline,
  });
  return ethers.Signature.from(raw);
}

/** A fresh fixture with one ETH challenge (id 1) starting in a day. */
async function ethChallenge(overrides: Parameters<typeof challengeParams>[2] = {}) {
  const f = await networkHelpers.loadFixture(poolFixture);
  const start = (await time.latest()) + DAY;
  const p = challengeParams(start, f, overrides);
  await (await f.pool.createChallenge(p)).wait();
  return { f, p, start };
}

/** A fresh fixture with one USDC challenge (id 1) starting in a day, `who` approved the pool. */
async function usdcChallenge(
  overrides: Parameters<typeof challengeParams>[2] = {},
  who: (f: PoolFixture) => HardhatEthersSigner[] = (f) => [f.alice, f.bob, f.carol, f.dave],
) {
  const f = await networkHelpers.loadFixture(poolFixture);
  const start = (await time.latest()) + DAY;
  const p = challengeParams(start, f, { token: await f.usdc.getAddress(), stake: USDC_STAKE, ...overrides });
  await (await f.pool.createChallenge(p)).wait();
  for (const s of who(f)) await (await f.usdc.connect(s).approve(f.pool, p.stake)).wait();
  return { f, p, start };
}

describe("ChallengePool.constructor", () => {
  it("records the vault and the admin as owner", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    expect(await f.pool.vault()).to.equal(await f.vault.getAddress());
    expect(await f.pool.owner()).to.equal(f.admin.address);
    expect(await f.pool.challengeCount()).to.equal(0n);
  });

  it("reverts with InvalidVault for the zero address", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    await expect(ethers.deployContract("ChallengePool", [ZERO_ADDRESS, f.admin.address]))
      .to.be.revertedWithCustomError(f.pool, "InvalidVault")
      .withArgs(ZERO_ADDRESS);
  });
});

describe("ChallengePool.createChallenge", () => {
  it("stores the terms, issues ids from 1 and emits ChallengeCreated", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    const p = challengeParams(start, f);
    await expect(f.pool.connect(f.bob).createChallenge(p))
      .to.emit(f.pool, "ChallengeCreated")
      .withArgs(1, f.bob.address);
    await expect(f.pool.createChallenge(p)).to.emit(f.pool, "ChallengeCreated").withArgs(2, f.admin.address);
    const [stored, participants, settled, finishers, pot] = await f.pool.challenge(1);
    expect(stored.stake).to.equal(p.stake);
    expect(stored.start).to.equal(p.start);
    expect(stored.joinDeadline).to.equal(p.joinDeadline);
    expect(stored.feeRecipient).to.equal(p.feeRecipient);
    expect(stored.fallbackBeneficiary).to.equal(p.fallbackBeneficiary);
    expect([participants, settled, finishers, pot]).to.deep.equal([0n, 0n, 0n, 0n]);
    expect(await f.pool.challengeCount()).to.equal(2n);
  });

  it("accepts the bounds: 2 and 10,000 participants, a 10 % fee, an allowlisted token, joinDeadline == start", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    const usdc = await f.usdc.getAddress();
    for (const o of [
      { maxParticipants: 2 },
      { maxParticipants: 10_000 },
      { feeBps: 1_000 },
      { token: usdc },
    ]) {
      await expect(f.pool.createChallenge(challengeParams(start, f, o))).to.emit(f.pool, "ChallengeCreated");
    }
  });

  it("reverts with a named error for every invalid field", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const now = await time.latest();
    const start = now + DAY;
    const base = challengeParams(start, f);
    const pool = await f.pool.getAddress();
    const expectRevert = async (o: Parameters<typeof challengeParams>[2], error: string, args: unknown[]) => {
      await expect(f.pool.createChallenge({ ...base, ...o }))
        .to.be.revertedWithCustomError(f.pool, error)
        .withArgs(...args);
    };
    await expectRevert({ token: f.outsider.address }, "TokenNotAllowed", [f.outsider.address]);
    await expectRevert({ stake: 0n }, "InvalidStake", [0]);
    // The next block's timestamp is now + 1 (automine).
    await expectRevert({ joinDeadline: BigInt(now + 1) }, "InvalidJoinDeadline", [now + 1, start, now + 1]);
    await expectRevert({ joinDeadline: BigInt(start + 1) }, "InvalidJoinDeadline", [
      start + 1,
      start,
      now + 1,
    ]);
    const far = BigInt(now + 366 * DAY);
    await expectRevert({ start: far, joinDeadline: far }, "InvalidStart", [far, now + 1 + 365 * DAY]);
    await expectRevert({ period: 3599 }, "InvalidSchedule", [3599, 2, DAY]);
    await expectRevert({ period: 366 * DAY + 1 }, "InvalidSchedule", [366 * DAY + 1, 2, DAY]);
    await expectRevert({ milestones: 0 }, "InvalidSchedule", [WEEK, 0, DAY]);
    await expectRevert({ milestones: 105 }, "InvalidSchedule", [WEEK, 105, DAY]);
    await expectRevert({ grace: 7 * DAY + 1 }, "InvalidSchedule", [WEEK, 2, 7 * DAY + 1]);
    await expectRevert({ rulesHash: ethers.ZeroHash }, "InvalidRulesHash", [ethers.ZeroHash]);
    await expectRevert({ maxParticipants: 1 }, "InvalidMaxParticipants", [1]);
    await expectRevert({ maxParticipants: 10_001 }, "InvalidMaxParticipants", [10_001]);
    await expectRevert({ feeBps: 1_001 }, "InvalidFee", [1_001, 1_000]);
    await expectRevert({ feeRecipient: ZERO_ADDRESS }, "InvalidFeeRecipient", [ZERO_ADDRESS]);
    await expectRevert({ feeRecipient: pool }, "InvalidFeeRecipient", [pool]);
    await expectRevert({ fallbackBeneficiary: ZERO_ADDRESS }, "InvalidFallbackBeneficiary", [ZERO_ADDRESS]);
    await expectRevert({ fallbackBeneficiary: pool }, "InvalidFallbackBeneficiary", [pool]);
  });

  it("challenge() reverts with ChallengeNotFound for id 0 and ids not issued", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    await expect(f.pool.challenge(0)).to.be.revertedWithCustomError(f.pool, "ChallengeNotFound").withArgs(0);
    await expect(f.pool.challenge(1)).to.be.revertedWithCustomError(f.pool, "ChallengeNotFound").withArgs(1);
  });
});

describe("ChallengePool.join", () => {
  it("ETH: creates the participant's commitment (owner = participant, beneficiary = pool) and emits Joined", async () => {
    const { f, p, start } = await ethChallenge();
    const pool = await f.pool.getAddress();
    const tx = f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
    await expect(tx).to.emit(f.pool, "Joined").withArgs(1, f.alice.address, 1);
    await expect(tx)
      .to.emit(f.vault, "CommitmentCreated")
      .withArgs(1, f.alice.address, ZERO_ADDRESS, ETH_STAKE, start, WEEK, 2, DAY, pool, p.rulesHash);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.pool, f.vault], [-ETH_STAKE, 0n, ETH_STAKE]);
    expect(await f.pool.commitmentOf(1, f.alice)).to.equal(1n);
    expect(await f.pool.statusOf(1, f.alice)).to.equal(JOINED);
    expect((await f.pool.challenge(1))[1]).to.equal(1n);
    const c = await f.vault.getCommitment(1);
    expect([c.owner, c.beneficiary]).to.deep.equal([f.alice.address, pool]);
  });

  it("ERC-20: pulls the stake, approves the vault exactly, and leaves no allowance behind", async () => {
    const { f } = await usdcChallenge();
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

  it("reverts with ChallengeNotFound, JoinClosed, ChallengeFull and AlreadyJoined", async () => {
    const { f, p } = await ethChallenge({ maxParticipants: 2 });
    await expect(f.pool.connect(f.alice).join(2, { value: ETH_STAKE }))
      .to.be.revertedWithCustomError(f.pool, "ChallengeNotFound")
      .withArgs(2);
    await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
    await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE }))
      .to.be.revertedWithCustomError(f.pool, "AlreadyJoined")
      .withArgs(1, f.alice.address, 1);
    await f.pool.connect(f.bob).join(1, { value: ETH_STAKE });
    await expect(f.pool.connect(f.carol).join(1, { value: ETH_STAKE }))
      .to.be.revertedWithCustomError(f.pool, "ChallengeFull")
      .withArgs(1, 2);
    await f.pool.createChallenge({ ...p, maxParticipants: 10 });
    await time.setNextBlockTimestamp(p.joinDeadline);
    await expect(f.pool.connect(f.carol).join(2, { value: ETH_STAKE }))
      .to.be.revertedWithCustomError(f.pool, "JoinClosed")
      .withArgs(2, p.joinDeadline);
  });

  it("reverts with IncorrectValue for a wrong ETH value or ETH sent to an ERC-20 challenge", async () => {
    const { f } = await ethChallenge();
    await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE - 1n }))
      .to.be.revertedWithCustomError(f.pool, "IncorrectValue")
      .withArgs(ETH_STAKE - 1n, ETH_STAKE);
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(
      challengeParams(start, f, { token: await f.usdc.getAddress(), stake: USDC_STAKE }),
    );
    await f.usdc.connect(f.alice).approve(f.pool, USDC_STAKE);
    await expect(f.pool.connect(f.alice).join(2, { value: 1n }))
      .to.be.revertedWithCustomError(f.pool, "IncorrectValue")
      .withArgs(1n, 0n);
  });

  it("rejects a fee-on-transfer token with TransferAmountMismatch, and a balance-shrinking one as received 0", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const start = (await time.latest()) + DAY;
    for (const [name, received] of [
      ["FeeOnTransferToken", 990n],
      ["ShrinkingToken", 0n],
    ] as const) {
      // Both mocks have the same mint/approve ABI: address the shrinking one through the fee token's interface.
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

  it("fails with the vault's VaultPaused while the vault is paused", async () => {
    const { f } = await ethChallenge();
    await f.vault.connect(f.admin).pause();
    await expect(f.pool.connect(f.alice).join(1, { value: ETH_STAKE })).to.be.revertedWithCustomError(
      f.vault,
      "VaultPaused",
    );
  });
});

describe("ChallengePool.joinWithPermit", () => {
  it("joins with a permit signature and no prior approval", async () => {
    const { f } = await usdcChallenge({}, () => []);
    const deadline = BigInt((await time.latest()) + DAY);
    const sig = await signPermit(f.alice, f.usdc, await f.pool.getAddress(), USDC_STAKE, deadline);
    const tx = f.pool.connect(f.alice).joinWithPermit(1, deadline, sig.v, sig.r, sig.s);
    await expect(tx).to.emit(f.pool, "Joined").withArgs(1, f.alice.address, 1);
    await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [-USDC_STAKE, USDC_STAKE]);
  });

  it("still joins when the permit was front-run and the allowance is in place", async () => {
    const { f } = await usdcChallenge({}, () => []);
    const pool = await f.pool.getAddress();
    const deadline = BigInt((await time.latest()) + DAY);
    const sig = await signPermit(f.alice, f.usdc, pool, USDC_STAKE, deadline);
    await f.usdc.connect(f.outsider).permit(f.alice, pool, USDC_STAKE, deadline, sig.v, sig.r, sig.s);
    await expect(f.pool.connect(f.alice).joinWithPermit(1, deadline, sig.v, sig.r, sig.s))
      .to.emit(f.pool, "Joined")
      .withArgs(1, f.alice.address, 1);
  });

  it("reverts with the token's ERC20InsufficientAllowance when the permit is invalid and nothing is approved", async () => {
    const { f } = await usdcChallenge({}, () => []);
    const deadline = BigInt((await time.latest()) + DAY);
    const sig = await signPermit(f.bob, f.usdc, await f.pool.getAddress(), USDC_STAKE, deadline);
    await expect(f.pool.connect(f.alice).joinWithPermit(1, deadline, sig.v, sig.r, sig.s))
      .to.be.revertedWithCustomError(f.usdc, "ERC20InsufficientAllowance")
      .withArgs(await f.pool.getAddress(), 0n, USDC_STAKE);
    expect(await f.pool.statusOf(1, f.alice)).to.equal(NONE);
  });

  it("reverts with PermitOnNativeToken on an ETH challenge", async () => {
    const { f } = await ethChallenge();
    await expect(f.pool.connect(f.alice).joinWithPermit(1, 0, 0, ethers.ZeroHash, ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.pool, "PermitOnNativeToken")
      .withArgs(1);
  });
});

describe("ChallengePool.settleParticipant", () => {
  it("records a finisher (lost 0) and a loser (lost = slashed shares, last share carries the remainder)", async () => {
    // Stake 1,000,000,001 over 2 milestones: shares 500,000,000 and 500,000,001.
    const { f } = await ethChallenge({ stake: 1_000_000_001n });
    for (const who of [f.alice, f.bob, f.carol]) await f.pool.connect(who).join(1, { value: 1_000_000_001n });
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RR"],
      [f.bob, "RS"],
      [f.carol, "SR"],
    ]);
    await expect(f.pool.connect(f.outsider).settleParticipant(1, f.alice))
      .to.emit(f.pool, "ParticipantSettled")
      .withArgs(1, f.alice.address, true, 0);
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.emit(f.pool, "ParticipantSettled")
      .withArgs(1, f.bob.address, false, 500_000_001n);
    expect(await f.pool.statusOf(1, f.alice)).to.equal(FINISHED);
    expect(await f.pool.statusOf(1, f.bob)).to.equal(OUT);
    expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(500_000_001n);
    // The last one closes the challenge: pot 1,000,000,001; 5 % fee; one finisher.
    const tx = f.pool.settleParticipant(1, f.carol);
    await expect(tx).to.emit(f.pool, "ParticipantSettled").withArgs(1, f.carol.address, false, 500_000_000n);
    const each = (1_000_000_001n * 9_500n) / 10_000n;
    await expect(tx)
      .to.emit(f.pool, "ChallengeClosed")
      .withArgs(1, 1_000_000_001n, 1, each, f.feeRecipient.address, 1_000_000_001n - each);
    await expect(tx)
      .to.emit(f.pool, "Credited")
      .withArgs(f.feeRecipient.address, ZERO_ADDRESS, 1_000_000_001n - each);
    expect((await f.pool.challenge(1)).slice(1)).to.deep.equal([3n, 3n, 1n, 1_000_000_001n]);
  });

  it("reverts with ChallengeNotFound, JoinPeriodNotOver, NotParticipant, MilestoneUnsettled and AlreadySettled", async () => {
    const { f, p } = await ethChallenge();
    await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
    await expect(f.pool.settleParticipant(9, f.alice))
      .to.be.revertedWithCustomError(f.pool, "ChallengeNotFound")
      .withArgs(9);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "JoinPeriodNotOver")
      .withArgs(1, p.joinDeadline);
    await time.increaseTo(p.start);
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.be.revertedWithCustomError(f.pool, "NotParticipant")
      .withArgs(1, f.bob.address);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "MilestoneUnsettled")
      .withArgs(1, f.alice.address, 0);
    await playOut(f, networkHelpers, 1n, [[f.alice, "R-"]]);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "MilestoneUnsettled")
      .withArgs(1, f.alice.address, 1);
    await f.vault.slash(1, 1);
    await f.pool.settleParticipant(1, f.alice);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "AlreadySettled")
      .withArgs(1, f.alice.address, OUT);
  });

  it("reads milestones 64..103 from packedHigh", async () => {
    const { f } = await ethChallenge({ milestones: 104, period: 3600, grace: 0, stake: 104n });
    await f.pool.connect(f.alice).join(1, { value: 104n });
    await f.pool.connect(f.bob).join(1, { value: 104n });
    const [p] = await f.pool.challenge(1);
    await time.increaseTo(Number(p.start) + 104 * 3600);
    await f.vault.slash(1, 70);
    await f.vault.slash(1, 103);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.be.revertedWithCustomError(f.pool, "MilestoneUnsettled")
      .withArgs(1, f.alice.address, 0);
    for (let i = 0; i < 104; i++) if (i !== 70 && i !== 103) await f.vault.slash(1, i);
    await expect(f.pool.settleParticipant(1, f.alice))
      .to.emit(f.pool, "ParticipantSettled")
      .withArgs(1, f.alice.address, false, 104n);
  });
});

describe("ChallengePool.claimWinnings", () => {
  /** Four ETH participants: alice and bob finish, carol misses one week, dave both. Pot 1.5 ETH, 5 % fee. */
  async function played() {
    const { f, p } = await ethChallenge();
    for (const who of [f.alice, f.bob, f.carol, f.dave])
      await f.pool.connect(who).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RR"],
      [f.bob, "RR"],
      [f.carol, "RS"],
      [f.dave, "SS"],
    ]);
    return { f, p };
  }
  const POT = (3n * ETH_STAKE) / 2n;
  const EACH = (POT * 9_500n) / 10_000n / 2n;

  it("pays each finisher pot * (10000 - fee) / 10000 / finishers, pulling the pool's vault credits once", async () => {
    const { f } = await played();
    for (const who of [f.alice, f.bob, f.carol, f.dave]) await f.pool.settleParticipant(1, who);
    const pool = await f.pool.getAddress();
    expect(await f.vault.credits(pool, ZERO_ADDRESS)).to.equal(POT);
    expect(await f.pool.winningsOf(1, f.alice)).to.equal(EACH);
    expect(await f.pool.winningsOf(1, f.carol)).to.equal(0n);
    const tx = f.pool.connect(f.alice).claimWinnings(1);
    await expect(tx).to.emit(f.pool, "WinningsClaimed").withArgs(1, f.alice.address, EACH);
    await expect(tx).to.emit(f.vault, "Withdrawn").withArgs(pool, ZERO_ADDRESS, POT);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.pool], [EACH, POT - EACH]);
    expect(await f.pool.statusOf(1, f.alice)).to.equal(CLAIMED);
    expect(await f.pool.winningsOf(1, f.alice)).to.equal(0n);
    // The second claim is paid from the pool's own balance: no vault withdrawal.
    const tx2 = f.pool.connect(f.bob).claimWinnings(1);
    await expect(tx2).to.changeEtherBalance(ethers, f.bob, EACH);
    await expect(tx2).not.to.emit(f.vault, "Withdrawn");
    // Fee plus dust to the fee recipient; then the pool holds nothing and owes nothing.
    await expect(f.pool.connect(f.feeRecipient).withdraw(ZERO_ADDRESS))
      .to.emit(f.pool, "Withdrawn")
      .withArgs(f.feeRecipient.address, ZERO_ADDRESS, POT - 2n * EACH);
    expect(await ethers.provider.getBalance(pool)).to.equal(0n);
    expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(0n);
  });

  it("reverts with NotFinisher, ChallengeNotSettled and AlreadyClaimed", async () => {
    const { f } = await played();
    await expect(f.pool.connect(f.alice).claimWinnings(7))
      .to.be.revertedWithCustomError(f.pool, "ChallengeNotFound")
      .withArgs(7);
    await expect(f.pool.connect(f.alice).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "NotFinisher")
      .withArgs(1, f.alice.address, JOINED);
    await f.pool.settleParticipant(1, f.alice);
    await f.pool.settleParticipant(1, f.carol);
    await expect(f.pool.connect(f.alice).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "ChallengeNotSettled")
      .withArgs(1, 2, 4);
    expect(await f.pool.winningsOf(1, f.alice)).to.equal(0n);
    await f.pool.settleParticipant(1, f.bob);
    await f.pool.settleParticipant(1, f.dave);
    await expect(f.pool.connect(f.carol).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "NotFinisher")
      .withArgs(1, f.carol.address, OUT);
    await expect(f.pool.connect(f.outsider).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "NotFinisher")
      .withArgs(1, f.outsider.address, NONE);
    await f.pool.connect(f.alice).claimWinnings(1);
    await expect(f.pool.connect(f.alice).claimWinnings(1))
      .to.be.revertedWithCustomError(f.pool, "AlreadyClaimed")
      .withArgs(1, f.alice.address);
  });

  it("with nobody slashed, finishers claim 0 and nothing moves", async () => {
    const { f } = await ethChallenge();
    for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RR"],
      [f.bob, "RR"],
    ]);
    await f.pool.settleParticipant(1, f.alice);
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.emit(f.pool, "ChallengeClosed")
      .withArgs(1, 0, 2, 0, f.feeRecipient.address, 0)
      .and.not.to.emit(f.pool, "Credited");
    await expect(f.pool.connect(f.alice).claimWinnings(1))
      .to.emit(f.pool, "WinningsClaimed")
      .withArgs(1, f.alice.address, 0)
      .and.not.to.emit(f.vault, "Withdrawn");
  });

  it("ERC-20: pays the finishers and the fee, rounding dust included, exactly the pot", async () => {
    // 100 USDC over 3 milestones: shares 33,333,333 / 33,333,333 / 33,333,334. Three finishers.
    const { f } = await usdcChallenge({ milestones: 3 });
    for (const who of [f.alice, f.bob, f.carol, f.dave]) await f.pool.connect(who).join(1);
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RRR"],
      [f.bob, "RRR"],
      [f.carol, "RRR"],
      [f.dave, "RRS"],
    ]);
    for (const who of [f.alice, f.bob, f.carol, f.dave]) await f.pool.settleParticipant(1, who);
    const pot = 33_333_334n;
    const each = (pot * 9_500n) / 10_000n / 3n;
    for (const who of [f.alice, f.bob, f.carol]) {
      await expect(f.pool.connect(who).claimWinnings(1)).to.changeTokenBalance(ethers, f.usdc, who, each);
    }
    await expect(f.pool.withdrawFor(f.feeRecipient, f.usdc)).to.changeTokenBalance(
      ethers,
      f.usdc,
      f.feeRecipient,
      pot - 3n * each,
    );
    expect(await f.usdc.balanceOf(f.pool)).to.equal(0n);
  });
});

describe("ChallengePool: nobody finishes", () => {
  it("credits the whole pot to fallbackBeneficiary, who withdraws it (or anyone pushes it)", async () => {
    const { f } = await ethChallenge();
    for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "RS"],
      [f.bob, "SS"],
    ]);
    await f.pool.settleParticipant(1, f.alice);
    const pot = ETH_STAKE + ETH_STAKE / 2n;
    await expect(f.pool.settleParticipant(1, f.bob))
      .to.emit(f.pool, "ChallengeClosed")
      .withArgs(1, pot, 0, 0, f.fallback.address, pot);
    expect(await f.pool.credits(f.fallback, ZERO_ADDRESS)).to.equal(pot);
    await expect(f.pool.connect(f.outsider).withdrawFor(f.fallback, ZERO_ADDRESS)).to.changeEtherBalance(
      ethers,
      f.fallback,
      pot,
    );
    await expect(f.pool.connect(f.fallback).withdraw(ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.pool, "NothingToWithdraw")
      .withArgs(f.fallback.address, ZERO_ADDRESS);
  });
});

describe("ChallengePool.withdraw", () => {
  it("reverts with EtherTransferFailed when the payee rejects ETH, and the credit stays", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    const receiver = await ethers.deployContract("RevertingReceiver");
    const start = (await time.latest()) + DAY;
    await f.pool.createChallenge(
      challengeParams(start, f, { fallbackBeneficiary: await receiver.getAddress() }),
    );
    for (const who of [f.alice, f.bob]) await f.pool.connect(who).join(1, { value: ETH_STAKE });
    await playOut(f, networkHelpers, 1n, [
      [f.alice, "SS"],
      [f.bob, "SS"],
    ]);
    await f.pool.settleParticipant(1, f.alice);
    await f.pool.settleParticipant(1, f.bob);
    const pot = 2n * ETH_STAKE;
    await expect(f.pool.withdrawFor(receiver, ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.pool, "EtherTransferFailed")
      .withArgs(await receiver.getAddress(), pot);
    expect(await f.pool.credits(receiver, ZERO_ADDRESS)).to.equal(pot);
    await receiver.setRejecting(false);
    await expect(f.pool.withdrawFor(receiver, ZERO_ADDRESS)).to.changeEtherBalance(ethers, receiver, pot);
  });
});

describe("ChallengePool.sweepSurplus", () => {
  /** A solo commitment naming the pool as beneficiary and slashed: money the pool holds but owes nobody. */
  async function withDonation() {
    const { f, p } = await ethChallenge();
    await f.pool.connect(f.alice).join(1, { value: ETH_STAKE });
    const pool = await f.pool.getAddress();
    const start = (await time.latest()) + DAY;
    await f.vault.connect(f.bob).createCommitment(
      {
        token: ZERO_ADDRESS,
        amount: 1000n,
        start: BigInt(start),
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
    return { f, pool };
  }

  it("sends exactly what the pool holds beyond its liabilities and leaves the pots whole", async () => {
    const { f, pool } = await withDonation();
    await f.pool.settleParticipant(1, f.alice);
    expect(await f.pool.liabilities(ZERO_ADDRESS)).to.equal(ETH_STAKE);
    const tx = f.pool.connect(f.admin).sweepSurplus(ZERO_ADDRESS, f.charity);
    await expect(tx).to.emit(f.pool, "SurplusSwept").withArgs(ZERO_ADDRESS, f.charity.address, 1000n);
    await expect(tx).to.changeEtherBalance(ethers, f.charity, 1000n);
    expect(await ethers.provider.getBalance(pool)).to.equal(ETH_STAKE);
    await expect(f.pool.connect(f.admin).sweepSurplus(ZERO_ADDRESS, f.charity))
      .to.be.revertedWithCustomError(f.pool, "NoSurplus")
      .withArgs(ZERO_ADDRESS, ETH_STAKE, ETH_STAKE);
    await f.pool.connect(f.fallback).withdraw(ZERO_ADDRESS);
    expect(await ethers.provider.getBalance(pool)).to.equal(0n);
  });

  it("reverts with OwnableUnauthorizedAccount for others and InvalidRecipient for the zero address", async () => {
    const { f } = await withDonation();
    await expect(f.pool.connect(f.outsider).sweepSurplus(ZERO_ADDRESS, f.outsider))
      .to.be.revertedWithCustomError(f.pool, "OwnableUnauthorizedAccount")
      .withArgs(f.outsider.address);
    await expect(f.pool.connect(f.admin).sweepSurplus(ZERO_ADDRESS, ZERO_ADDRESS))
      .to.be.revertedWithCustomError(f.pool, "InvalidRecipient")
      .withArgs(ZERO_ADDRESS);
  });
});

describe("ChallengePool.receive", () => {
  it("reverts with UnexpectedEther for ETH from anyone but the vault", async () => {
    const f = await networkHelpers.loadFixture(poolFixture);
    await expect(f.outsider.sendTransaction({ to: f.pool, value: 1n }))
      .to.be.revertedWithCustomError(f.pool, "UnexpectedEther")
      .withArgs(f.outsider.address);
  });
});
