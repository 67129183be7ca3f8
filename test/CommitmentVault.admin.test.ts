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
  sortByAddress,
  type VaultFixture,
  WEEK,
  ZERO_ADDRESS,
} from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const vaultFixture = makeVaultFixture(ethers);

const GRACE = 2 * DAY;
const ETH_SHARE = 10n ** 17n;
const USDC_STAKE = 200n * 10n ** 6n;
const USDC_SHARE = 25n * 10n ** 6n;
const MAX_ORACLES = 16n;
const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const GUARDIAN_ROLE = ethers.id("GUARDIAN_ROLE");

const State = { Open: 0n, Released: 1n, Slashed: 2n, Refunded: 3n } as const;

/** `count` distinct non-zero addresses 0x…01, 0x…02, … */
function addresses(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    ethers.getAddress(`0x${(i + 1).toString(16).padStart(40, "0")}`),
  );
}

interface Setup {
  f: VaultFixture;
  id: bigint;
  start: number;
}

/** Loads the fixture and lets alice stake 0.8 ETH over 8 weekly milestones starting one day later. */
async function setup(): Promise<Setup> {
  const f = await networkHelpers.loadFixture(vaultFixture);
  const start = (await time.latest()) + DAY;
  const p = params(start, f.charity.address);
  await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
  return { f, id: await f.vault.commitmentCount(), start };
}

function deadlineOf(start: number, index: number): number {
  return start + (index + 1) * WEEK + GRACE;
}

/** Quorum signatures of `signers` for milestone `index`, valid for a long time. */
async function attest(f: VaultFixture, id: bigint, index: number, signers: readonly HardhatEthersSigner[]) {
  const validUntil = BigInt((await time.latest()) + 1_000 * DAY);
  const sigs = await signSorted(signers, f.vault, {
    commitmentId: id,
    milestoneIndex: BigInt(index),
    rulesHash: RULES_HASH,
    evidenceHash: EVIDENCE_HASH,
    validUntil,
  });
  return { validUntil, sigs };
}

describe("CommitmentVault constructor", () => {
  it("gives the admin DEFAULT_ADMIN_ROLE and GUARDIAN_ROLE with a 2-day admin transfer delay", async () => {
    const [admin, o1, o2, other] = await ethers.getSigners();
    if (!admin || !o1 || !o2 || !other) throw new Error("not enough signers");
    const vault = await ethers.deployContract("CommitmentVault", [
      admin.address,
      [o1.address, o2.address],
      1,
    ]);
    expect(await vault.GUARDIAN_ROLE()).to.equal(GUARDIAN_ROLE);
    expect(await vault.DEFAULT_ADMIN_ROLE()).to.equal(DEFAULT_ADMIN_ROLE);
    expect(await vault.hasRole(DEFAULT_ADMIN_ROLE, admin)).to.equal(true);
    expect(await vault.hasRole(GUARDIAN_ROLE, admin)).to.equal(true);
    expect(await vault.hasRole(DEFAULT_ADMIN_ROLE, other)).to.equal(false);
    expect(await vault.hasRole(GUARDIAN_ROLE, other)).to.equal(false);
    expect(await vault.defaultAdmin()).to.equal(admin.address);
    expect(await vault.owner()).to.equal(admin.address);
    expect(await vault.defaultAdminDelay()).to.equal(BigInt(2 * DAY));
    // Returned sorted ascending (the set is stored as a sorted code blob).
    expect(await vault.oracles()).to.deep.equal(
      [o1.address, o2.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
    );
    expect(await vault.threshold()).to.equal(1n);
    expect(await vault.commitmentCount()).to.equal(0n);
    expect(await vault.paused()).to.equal(false);
    expect(await vault.pauseState()).to.deep.equal([0n, 0n, 0n, 0n]);
  });

  it("emits OraclesUpdated for the initial set", async () => {
    const [admin, o1, o2] = await ethers.getSigners();
    if (!admin || !o1 || !o2) throw new Error("not enough signers");
    const vault = await ethers.deployContract("CommitmentVault", [
      admin.address,
      [o2.address, o1.address],
      2,
    ]);
    await expect(vault.deploymentTransaction())
      .to.emit(vault, "OraclesUpdated")
      .withArgs([o2.address, o1.address], 2n);
  });

  it("accepts exactly MAX_ORACLES oracles with threshold equal to their number", async () => {
    const [admin] = await ethers.getSigners();
    if (!admin) throw new Error("no signer");
    const list = addresses(16);
    const vault = await ethers.deployContract("CommitmentVault", [admin.address, list, 16]);
    expect(await vault.oracles()).to.deep.equal(list);
    expect(await vault.threshold()).to.equal(16n);
  });

  describe("reverts", () => {
    async function deployArgs() {
      const f = await networkHelpers.loadFixture(vaultFixture);
      return { f, admin: f.admin.address, list: f.oracles.map((o) => o.address) };
    }

    it("with AccessControlInvalidDefaultAdmin for a zero admin", async () => {
      const { f, list } = await deployArgs();
      await expect(ethers.deployContract("CommitmentVault", [ZERO_ADDRESS, list, 2]))
        .to.be.revertedWithCustomError(f.vault, "AccessControlInvalidDefaultAdmin")
        .withArgs(ZERO_ADDRESS);
    });

    it("with InvalidOracleCount for an empty oracle set", async () => {
      const { f, admin } = await deployArgs();
      await expect(ethers.deployContract("CommitmentVault", [admin, [], 1]))
        .to.be.revertedWithCustomError(f.vault, "InvalidOracleCount")
        .withArgs(0n, MAX_ORACLES);
    });

    it("with InvalidOracleCount for 17 oracles", async () => {
      const { f, admin } = await deployArgs();
      await expect(ethers.deployContract("CommitmentVault", [admin, addresses(17), 1]))
        .to.be.revertedWithCustomError(f.vault, "InvalidOracleCount")
        .withArgs(17n, MAX_ORACLES);
    });

    it("with ZeroOracle for a zero address in the set", async () => {
      const { f, admin, list } = await deployArgs();
      await expect(ethers.deployContract("CommitmentVault", [admin, [list[0], list[1], ZERO_ADDRESS], 2]))
        .to.be.revertedWithCustomError(f.vault, "ZeroOracle")
        .withArgs(2n);
    });

    it("with DuplicateOracle for a repeated oracle", async () => {
      const { f, admin, list } = await deployArgs();
      await expect(ethers.deployContract("CommitmentVault", [admin, [list[0], list[1], list[0]], 2]))
        .to.be.revertedWithCustomError(f.vault, "DuplicateOracle")
        .withArgs(list[0]);
    });

    it("with InvalidThreshold for a zero threshold", async () => {
      const { f, admin, list } = await deployArgs();
      await expect(ethers.deployContract("CommitmentVault", [admin, list, 0]))
        .to.be.revertedWithCustomError(f.vault, "InvalidThreshold")
        .withArgs(0n, 3n);
    });

    it("with InvalidThreshold for a threshold above the oracle count", async () => {
      const { f, admin, list } = await deployArgs();
      await expect(ethers.deployContract("CommitmentVault", [admin, list, 4]))
        .to.be.revertedWithCustomError(f.vault, "InvalidThreshold")
        .withArgs(4n, 3n);
    });
  });
});

describe("CommitmentVault.setOracles", () => {
  it("replaces the oracle set and the threshold and emits OraclesUpdated", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const list = [f.keeper.address, f.outsider.address, f.bob.address];
    await expect(f.vault.connect(f.admin).setOracles(list, 3))
      .to.emit(f.vault, "OraclesUpdated")
      .withArgs(list, 3n);
    expect(await f.vault.oracles()).to.deep.equal(list);
    expect(await f.vault.threshold()).to.equal(3n);
  });

  it("shrinks the set", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).setOracles([f.keeper.address], 1);
    expect(await f.vault.oracles()).to.deep.equal([f.keeper.address]);
    expect(await f.vault.threshold()).to.equal(1n);
  });

  it("accepts 16 oracles", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const list = addresses(16);
    await expect(f.vault.connect(f.admin).setOracles(list, 9))
      .to.emit(f.vault, "OraclesUpdated")
      .withArgs(list, 9n);
    expect(await f.vault.oracles()).to.deep.equal(list);
  });

  it("invalidates the signatures of removed oracles and accepts those of the new ones", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(start + 1);
    const old = await attest(f, id, 0, f.oracles.slice(0, 2));
    const [firstOld] = sortByAddress(f.oracles.slice(0, 2));
    if (!firstOld) throw new Error("no oracle");

    await f.vault.connect(f.admin).setOracles([f.keeper.address, f.outsider.address], 2);
    await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, old.validUntil, old.sigs))
      .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
      .withArgs(0n, firstOld.address);

    const fresh = await attest(f, id, 0, [f.keeper, f.outsider]);
    await expect(
      f.vault.claimMilestone(id, 0, EVIDENCE_HASH, fresh.validUntil, fresh.sigs),
    ).to.changeEtherBalance(ethers, f.alice, ETH_SHARE);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
  });

  it("keeps an oracle that is part of both the old and the new set", async () => {
    const { f, id, start } = await setup();
    const [kept, removed] = f.oracles;
    if (!kept || !removed) throw new Error("no oracles");
    await f.vault.connect(f.admin).setOracles([kept.address, f.keeper.address], 2);
    await time.increaseTo(start + 1);

    const withRemoved = await attest(f, id, 0, [kept, removed]);
    // Signatures are sorted by signer: the removed oracle's one is rejected wherever it sits.
    const position = sortByAddress([kept, removed])[0]?.address === removed.address ? 0n : 1n;
    await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, withRemoved.validUntil, withRemoved.sigs))
      .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
      .withArgs(position, removed.address);

    const good = await attest(f, id, 0, [kept, f.keeper]);
    await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, good.validUntil, good.sigs))
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(id, 0n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
  });

  it("accepts the current set again unchanged", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const list = f.oracles.map((o) => o.address);
    await expect(f.vault.connect(f.admin).setOracles(list, 2))
      .to.emit(f.vault, "OraclesUpdated")
      .withArgs(list, 2n);
    expect(await f.vault.oracles()).to.deep.equal(list);
  });

  it("reverts with InvalidOracleCount(0, 16) for an empty set", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).setOracles([], 1))
      .to.be.revertedWithCustomError(f.vault, "InvalidOracleCount")
      .withArgs(0n, MAX_ORACLES);
  });

  it("reverts with InvalidOracleCount(17, 16) for 17 oracles", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).setOracles(addresses(17), 1))
      .to.be.revertedWithCustomError(f.vault, "InvalidOracleCount")
      .withArgs(17n, MAX_ORACLES);
  });

  it("reverts with ZeroOracle at the position of the zero address", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).setOracles([f.keeper.address, ZERO_ADDRESS, f.bob.address], 2))
      .to.be.revertedWithCustomError(f.vault, "ZeroOracle")
      .withArgs(1n);
    await expect(f.vault.connect(f.admin).setOracles([ZERO_ADDRESS], 1))
      .to.be.revertedWithCustomError(f.vault, "ZeroOracle")
      .withArgs(0n);
  });

  it("reverts with DuplicateOracle for a repeated address", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).setOracles([f.keeper.address, f.bob.address, f.keeper.address], 2))
      .to.be.revertedWithCustomError(f.vault, "DuplicateOracle")
      .withArgs(f.keeper.address);
  });

  it("reverts with InvalidThreshold(0, n) for a zero threshold", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).setOracles([f.keeper.address, f.bob.address], 0))
      .to.be.revertedWithCustomError(f.vault, "InvalidThreshold")
      .withArgs(0n, 2n);
  });

  it("reverts with InvalidThreshold(n + 1, n) for a threshold above the count", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).setOracles([f.keeper.address, f.bob.address], 3))
      .to.be.revertedWithCustomError(f.vault, "InvalidThreshold")
      .withArgs(3n, 2n);
  });

  it("leaves the current set in place when it reverts", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const list = f.oracles.map((o) => o.address);
    await expect(
      f.vault.connect(f.admin).setOracles([f.keeper.address, f.keeper.address], 1),
    ).to.be.revertedWithCustomError(f.vault, "DuplicateOracle");
    expect(await f.vault.oracles()).to.deep.equal(list);
    expect(await f.vault.threshold()).to.equal(2n);
  });

  it("reverts with AccessControlUnauthorizedAccount when the caller is not the admin", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.outsider).setOracles([f.outsider.address], 1))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.outsider.address, DEFAULT_ADMIN_ROLE);
  });

  it("reverts with AccessControlUnauthorizedAccount for a guardian that is not the admin", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).grantRole(GUARDIAN_ROLE, f.keeper);
    await expect(f.vault.connect(f.keeper).setOracles([f.keeper.address], 1))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.keeper.address, DEFAULT_ADMIN_ROLE);
  });
});

describe("CommitmentVault.setTokenAllowed", () => {
  it("allowlists a token and emits TokenAllowed", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const token = await ethers.deployContract("MockERC20Permit", ["Dai", "DAI", 18]);
    expect(await f.vault.isTokenAllowed(token)).to.equal(false);
    await expect(f.vault.connect(f.admin).setTokenAllowed(token, true))
      .to.emit(f.vault, "TokenAllowed")
      .withArgs(await token.getAddress(), true);
    expect(await f.vault.isTokenAllowed(token)).to.equal(true);

    await token.mint(f.alice, 10n ** 18n);
    await token.connect(f.alice).approve(f.vault, 10n ** 18n);
    const p = params((await time.latest()) + DAY, f.charity.address, {
      token: await token.getAddress(),
      amount: 10n ** 18n,
    });
    await expect(f.vault.connect(f.alice).createCommitment(p)).to.changeTokenBalance(
      ethers,
      token,
      f.vault,
      10n ** 18n,
    );
  });

  it("removes a token: new stakes are refused, existing ones still settle", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address, { token: await f.usdc.getAddress(), amount: USDC_STAKE });
    await f.usdc.connect(f.alice).approve(f.vault, 2n * USDC_STAKE);
    await f.vault.connect(f.alice).createCommitment(p);

    await expect(f.vault.connect(f.admin).setTokenAllowed(f.usdc, false))
      .to.emit(f.vault, "TokenAllowed")
      .withArgs(await f.usdc.getAddress(), false);
    expect(await f.vault.isTokenAllowed(f.usdc)).to.equal(false);
    await expect(f.vault.connect(f.alice).createCommitment(p))
      .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
      .withArgs(await f.usdc.getAddress());

    await time.increaseTo(start + 1);
    const { validUntil, sigs } = await attest(f, 1n, 0, f.oracles.slice(0, 2));
    await expect(f.vault.claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs)).to.changeTokenBalance(
      ethers,
      f.usdc,
      f.alice,
      USDC_SHARE,
    );
    await time.increaseTo(deadlineOf(start, 1));
    await f.vault.slash(1, 1);
    await expect(f.vault.connect(f.charity).withdraw(f.usdc)).to.changeTokenBalance(
      ethers,
      f.usdc,
      f.charity,
      USDC_SHARE,
    );
  });

  it("does not list native ETH", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    expect(await f.vault.isTokenAllowed(ZERO_ADDRESS)).to.equal(false);
  });

  it("reverts with InvalidToken for address(0)", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).setTokenAllowed(ZERO_ADDRESS, true))
      .to.be.revertedWithCustomError(f.vault, "InvalidToken")
      .withArgs(ZERO_ADDRESS);
    await expect(f.vault.connect(f.admin).setTokenAllowed(ZERO_ADDRESS, false))
      .to.be.revertedWithCustomError(f.vault, "InvalidToken")
      .withArgs(ZERO_ADDRESS);
  });

  it("reverts with AccessControlUnauthorizedAccount when the caller is not the admin", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.outsider).setTokenAllowed(f.usdc, false))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.outsider.address, DEFAULT_ADMIN_ROLE);
    expect(await f.vault.isTokenAllowed(f.usdc)).to.equal(true);
  });
});

describe("CommitmentVault.pause and unpause", () => {
  it("pause by the guardian emits Paused and records the pause time", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).pause()).to.emit(f.vault, "Paused").withArgs(f.admin.address);
    const t = BigInt(await time.latest());
    expect(await f.vault.paused()).to.equal(true);
    expect(await f.vault.pauseState()).to.deep.equal([t, 0n, 0n, 1n]);
  });

  it("unpause by the guardian emits Unpaused and records the unpause time", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).pause();
    const pausedAt = BigInt(await time.latest());
    await time.increase(DAY);
    await expect(f.vault.connect(f.admin).unpause()).to.emit(f.vault, "Unpaused").withArgs(f.admin.address);
    const t = BigInt(await time.latest());
    expect(await f.vault.paused()).to.equal(false);
    expect(await f.vault.pauseState()).to.deep.equal([0n, t, t - pausedAt, 1n]);
  });

  it("a guardian granted later may pause and unpause", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).grantRole(GUARDIAN_ROLE, f.keeper);
    await expect(f.vault.connect(f.keeper).pause()).to.emit(f.vault, "Paused").withArgs(f.keeper.address);
    await expect(f.vault.connect(f.keeper).unpause()).to.emit(f.vault, "Unpaused").withArgs(f.keeper.address);
    await f.vault.connect(f.admin).revokeRole(GUARDIAN_ROLE, f.keeper);
    await expect(f.vault.connect(f.keeper).pause())
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.keeper.address, GUARDIAN_ROLE);
  });

  it("reverts with AccessControlUnauthorizedAccount when a non-guardian pauses", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.outsider).pause())
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.outsider.address, GUARDIAN_ROLE);
    expect(await f.vault.paused()).to.equal(false);
  });

  it("reverts with AccessControlUnauthorizedAccount when a non-guardian unpauses", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).pause();
    await expect(f.vault.connect(f.outsider).unpause())
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.outsider.address, GUARDIAN_ROLE);
    expect(await f.vault.paused()).to.equal(true);
  });

  it("reverts with EnforcedPause when pausing twice", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).pause();
    await expect(f.vault.connect(f.admin).pause()).to.be.revertedWithCustomError(f.vault, "VaultPaused");
  });

  it("reverts with ExpectedPause when unpausing a vault that is not paused", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).unpause()).to.be.revertedWithCustomError(f.vault, "VaultNotPaused");
  });

  describe("while paused", () => {
    it("createCommitment reverts with EnforcedPause", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      await f.vault.connect(f.admin).pause();
      const p = params((await time.latest()) + DAY, f.charity.address);
      await expect(
        f.vault.connect(f.alice).createCommitment(p, { value: p.amount }),
      ).to.be.revertedWithCustomError(f.vault, "VaultPaused");
    });

    it("claimMilestone reverts with EnforcedPause, and succeeds after unpause", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(start + 1);
      const { validUntil, sigs } = await attest(f, id, 0, f.oracles.slice(0, 2));
      await f.vault.connect(f.admin).pause();
      await expect(
        f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs),
      ).to.be.revertedWithCustomError(f.vault, "VaultPaused");
      await f.vault.connect(f.admin).unpause();
      await expect(f.vault.claimMilestone(id, 0, EVIDENCE_HASH, validUntil, sigs)).to.changeEtherBalance(
        ethers,
        f.alice,
        ETH_SHARE,
      );
    });

    it("slash reverts with EnforcedPause", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(deadlineOf(start, 0));
      await f.vault.connect(f.admin).pause();
      await expect(f.vault.slash(id, 0)).to.be.revertedWithCustomError(f.vault, "VaultPaused");
      expect(await f.vault.milestoneState(id, 0)).to.equal(State.Open);
    });

    it("cancel still refunds the owner", async () => {
      const { f, id } = await setup();
      await f.vault.connect(f.admin).pause();
      const tx = f.vault.connect(f.alice).cancel(id);
      await expect(tx)
        .to.emit(f.vault, "CommitmentCancelled")
        .withArgs(id, f.alice.address, 8n * ETH_SHARE);
      await expect(tx).to.changeEtherBalance(ethers, f.alice, 8n * ETH_SHARE);
    });

    it("withdraw still pays credits", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(deadlineOf(start, 0));
      await f.vault.slash(id, 0);
      await f.vault.connect(f.admin).pause();
      const tx = f.vault.connect(f.charity).withdraw(ZERO_ADDRESS);
      await expect(tx).to.emit(f.vault, "Withdrawn").withArgs(f.charity.address, ZERO_ADDRESS, ETH_SHARE);
      await expect(tx).to.changeEtherBalance(ethers, f.charity, ETH_SHARE);
    });

    it("withdrawFor still pays credits", async () => {
      const { f, id, start } = await setup();
      await time.increaseTo(deadlineOf(start, 0));
      await f.vault.slash(id, 0);
      await f.vault.connect(f.admin).pause();
      await expect(f.vault.connect(f.keeper).withdrawFor(f.charity, ZERO_ADDRESS)).to.changeEtherBalance(
        ethers,
        f.charity,
        ETH_SHARE,
      );
    });
  });
});

describe("CommitmentVault default admin transfer", () => {
  it("leaves a separately granted guardian in place when the admin moves", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).grantRole(GUARDIAN_ROLE, f.keeper);
    await f.vault.connect(f.admin).revokeRole(GUARDIAN_ROLE, f.admin);
    await f.vault.connect(f.admin).beginDefaultAdminTransfer(f.bob);
    await time.increase(2 * DAY + 1);
    await f.vault.connect(f.bob).acceptDefaultAdminTransfer();
    expect(await f.vault.hasRole(GUARDIAN_ROLE, f.keeper)).to.equal(true);
    expect(await f.vault.hasRole(GUARDIAN_ROLE, f.bob)).to.equal(false);
    expect(await f.vault.hasRole(GUARDIAN_ROLE, f.admin)).to.equal(false);
  });

  it("wraps the inherited role checks in errors with arguments", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).grantRole(DEFAULT_ADMIN_ROLE, f.bob))
      .to.be.revertedWithCustomError(f.vault, "DefaultAdminRulesEnforced")
      .withArgs(DEFAULT_ADMIN_ROLE, f.bob.address);
    await expect(f.vault.connect(f.admin).revokeRole(DEFAULT_ADMIN_ROLE, f.admin))
      .to.be.revertedWithCustomError(f.vault, "DefaultAdminRulesEnforced")
      .withArgs(DEFAULT_ADMIN_ROLE, f.admin.address);
    await expect(f.vault.connect(f.bob).renounceRole(GUARDIAN_ROLE, f.admin))
      .to.be.revertedWithCustomError(f.vault, "RenounceForOtherAccount")
      .withArgs(f.admin.address, f.bob.address);
  });

  it("takes effect only after the 2-day delay and moves DEFAULT_ADMIN_ROLE", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).beginDefaultAdminTransfer(f.bob);
    const schedule = (await time.latest()) + 2 * DAY;
    const [pending, pendingSchedule] = await f.vault.pendingDefaultAdmin();
    expect(pending).to.equal(f.bob.address);
    expect(pendingSchedule).to.equal(BigInt(schedule));

    await time.setNextBlockTimestamp(schedule);
    await expect(f.vault.connect(f.bob).acceptDefaultAdminTransfer())
      .to.be.revertedWithCustomError(f.vault, "AccessControlEnforcedDefaultAdminDelay")
      .withArgs(schedule);
    expect(await f.vault.defaultAdmin()).to.equal(f.admin.address);

    await time.setNextBlockTimestamp(schedule + 1);
    await f.vault.connect(f.bob).acceptDefaultAdminTransfer();
    expect(await f.vault.defaultAdmin()).to.equal(f.bob.address);
    expect(await f.vault.hasRole(DEFAULT_ADMIN_ROLE, f.bob)).to.equal(true);
    expect(await f.vault.hasRole(DEFAULT_ADMIN_ROLE, f.admin)).to.equal(false);
    // Guardian handover (v2, replaces "GUARDIAN_ROLE stays with the old admin"): the outgoing admin held
    // GUARDIAN_ROLE, so it moved with the admin role; nobody is left guarding a vault they no longer administer.
    expect(await f.vault.hasRole(GUARDIAN_ROLE, f.admin)).to.equal(false);
    expect(await f.vault.hasRole(GUARDIAN_ROLE, f.bob)).to.equal(true);
    await expect(f.vault.connect(f.admin).pause())
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.admin.address, GUARDIAN_ROLE);
    await expect(f.vault.connect(f.bob).pause()).to.emit(f.vault, "Paused").withArgs(f.bob.address);
    await f.vault.connect(f.bob).unpause();

    await expect(f.vault.connect(f.bob).setTokenAllowed(f.usdc, false))
      .to.emit(f.vault, "TokenAllowed")
      .withArgs(await f.usdc.getAddress(), false);
    await expect(f.vault.connect(f.admin).setTokenAllowed(f.usdc, true))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.admin.address, DEFAULT_ADMIN_ROLE);
  });

  it("reverts with AccessControlEnforcedDefaultAdminDelay right after it was begun", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).beginDefaultAdminTransfer(f.bob);
    const schedule = (await time.latest()) + 2 * DAY;
    await expect(f.vault.connect(f.bob).acceptDefaultAdminTransfer())
      .to.be.revertedWithCustomError(f.vault, "AccessControlEnforcedDefaultAdminDelay")
      .withArgs(schedule);
  });

  it("reverts with AccessControlInvalidDefaultAdmin when someone else accepts", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).beginDefaultAdminTransfer(f.bob);
    await time.increase(3 * DAY);
    await expect(f.vault.connect(f.outsider).acceptDefaultAdminTransfer())
      .to.be.revertedWithCustomError(f.vault, "AccessControlInvalidDefaultAdmin")
      .withArgs(f.outsider.address);
  });

  it("reverts with AccessControlUnauthorizedAccount when a non-admin begins a transfer", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.outsider).beginDefaultAdminTransfer(f.outsider))
      .to.be.revertedWithCustomError(f.vault, "AccessControlUnauthorizedAccount")
      .withArgs(f.outsider.address, DEFAULT_ADMIN_ROLE);
  });

  it("reverts with AccessControlEnforcedDefaultAdminRules on a direct grant of DEFAULT_ADMIN_ROLE", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await expect(f.vault.connect(f.admin).grantRole(DEFAULT_ADMIN_ROLE, f.bob)).to.be.revertedWithCustomError(
      f.vault,
      "DefaultAdminRulesEnforced",
    );
    expect(await f.vault.hasRole(DEFAULT_ADMIN_ROLE, f.bob)).to.equal(false);
  });
});

describe("CommitmentVault.multicall", () => {
  it("batches two claims in one transaction", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(start + WEEK + 1);
    const a0 = await attest(f, id, 0, f.oracles.slice(0, 2));
    const a1 = await attest(f, id, 1, f.oracles.slice(1, 3));
    const calls = [
      f.vault.interface.encodeFunctionData("claimMilestone", [id, 0, EVIDENCE_HASH, a0.validUntil, a0.sigs]),
      f.vault.interface.encodeFunctionData("claimMilestone", [id, 1, EVIDENCE_HASH, a1.validUntil, a1.sigs]),
    ];
    const tx = f.vault.connect(f.keeper).multicall(calls);
    await expect(tx)
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(id, 0n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
    await expect(tx)
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(id, 1n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
    await expect(tx).to.changeEtherBalances(ethers, [f.alice, f.vault], [2n * ETH_SHARE, -2n * ETH_SHARE]);
    const receipt = await (await tx).wait();
    expect(
      receipt?.logs.filter((l) => f.vault.interface.parseLog(l)?.name === "MilestoneReleased"),
    ).to.have.length(2);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Released);
    expect(await f.vault.milestoneState(id, 1)).to.equal(State.Released);
    expect(await f.vault.milestoneState(id, 2)).to.equal(State.Open);
  });

  it("batches three slashes in one transaction", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 2));
    const calls = [0, 1, 2].map((i) => f.vault.interface.encodeFunctionData("slash", [id, i]));
    const tx = f.vault.connect(f.keeper).multicall(calls);
    for (const i of [0n, 1n, 2n]) {
      await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(id, i, f.charity.address, ETH_SHARE);
    }
    await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, ZERO_ADDRESS, ETH_SHARE);
    const receipt = await (await tx).wait();
    expect(receipt?.logs.filter((l) => f.vault.interface.parseLog(l)?.name === "Credited")).to.have.length(3);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(3n * ETH_SHARE);
    for (const i of [0, 1, 2]) expect(await f.vault.milestoneState(id, i)).to.equal(State.Slashed);
    expect(await f.vault.milestoneState(id, 3)).to.equal(State.Open);
  });

  it("reverts the whole batch with the failing slash's custom error", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 1));
    const calls = [0, 1, 2].map((i) => f.vault.interface.encodeFunctionData("slash", [id, i]));
    await expect(f.vault.connect(f.keeper).multicall(calls))
      .to.be.revertedWithCustomError(f.vault, "ClaimDeadlineNotReached")
      .withArgs(id, 2n, deadlineOf(start, 2));
    for (const i of [0, 1, 2]) expect(await f.vault.milestoneState(id, i)).to.equal(State.Open);
    expect(await f.vault.credits(f.charity, ZERO_ADDRESS)).to.equal(0n);
  });

  it("reverts the whole batch when the same claim appears twice", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(start + 1);
    const a0 = await attest(f, id, 0, f.oracles.slice(0, 2));
    const call = f.vault.interface.encodeFunctionData("claimMilestone", [
      id,
      0,
      EVIDENCE_HASH,
      a0.validUntil,
      a0.sigs,
    ]);
    const aliceBefore = await ethers.provider.getBalance(f.alice);
    await expect(f.vault.connect(f.keeper).multicall([call, call]))
      .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
      .withArgs(id, 0n, State.Released);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Open);
    expect(await ethers.provider.getBalance(f.alice)).to.equal(aliceBefore);
  });

  it("mixes a claim and a slash of different milestones", async () => {
    const { f, id, start } = await setup();
    await time.increaseTo(deadlineOf(start, 0));
    const a1 = await attest(f, id, 1, f.oracles.slice(0, 2));
    const calls = [
      f.vault.interface.encodeFunctionData("slash", [id, 0]),
      f.vault.interface.encodeFunctionData("claimMilestone", [id, 1, EVIDENCE_HASH, a1.validUntil, a1.sigs]),
    ];
    const tx = f.vault.connect(f.keeper).multicall(calls);
    await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(id, 0n, f.charity.address, ETH_SHARE);
    await expect(tx)
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(id, 1n, f.alice.address, ETH_SHARE, EVIDENCE_HASH);
    await expect(tx).to.changeEtherBalance(ethers, f.alice, ETH_SHARE);
    expect(await f.vault.milestoneState(id, 0)).to.equal(State.Slashed);
    expect(await f.vault.milestoneState(id, 1)).to.equal(State.Released);
  });
});
