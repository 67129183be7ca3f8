/** v2 additions outside the trees: createCommitmentFor, milestoneStates, named errors for hostile tokens. */
import { expect } from "chai";
import { network } from "hardhat";
import { DAY, makeVaultFixture, params, WEEK, ZERO_ADDRESS } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const vaultFixture = makeVaultFixture(ethers);

describe("CommitmentVault.createCommitmentFor", () => {
  it("msg.sender funds in ETH, the owner owns and receives every payout", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address);
    const tx = f.vault.connect(f.bob).createCommitmentFor(f.alice, p, { value: p.amount });
    await expect(tx)
      .to.emit(f.vault, "CommitmentCreated")
      .withArgs(
        1,
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
    await expect(tx).to.changeEtherBalances(ethers, [f.bob, f.alice], [-p.amount, 0n]);
    expect((await f.vault.getCommitment(1)).owner).to.equal(f.alice.address);
    // The funder is not the owner: cancel is the owner's, and refunds the owner.
    await expect(f.vault.connect(f.bob).cancel(1))
      .to.be.revertedWithCustomError(f.vault, "NotCommitmentOwner")
      .withArgs(1, f.bob.address);
    await expect(f.vault.connect(f.alice).cancel(1)).to.changeEtherBalance(ethers, f.alice, p.amount);
  });

  it("pulls an ERC-20 stake from msg.sender, and the beneficiary may be the funder (a pool)", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.bob.address, { token: await f.usdc.getAddress(), amount: 1_000_000n });
    await f.usdc.connect(f.bob).approve(f.vault, p.amount);
    const tx = f.vault.connect(f.bob).createCommitmentFor(f.alice, p);
    await expect(tx).to.changeTokenBalances(
      ethers,
      f.usdc,
      [f.bob, f.vault, f.alice],
      [-p.amount, p.amount, 0n],
    );
  });

  it("reverts with InvalidOwner for the zero address or the vault, and InvalidBeneficiary when it is the owner", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address);
    await expect(f.vault.connect(f.bob).createCommitmentFor(ZERO_ADDRESS, p, { value: p.amount }))
      .to.be.revertedWithCustomError(f.vault, "InvalidOwner")
      .withArgs(ZERO_ADDRESS);
    await expect(f.vault.connect(f.bob).createCommitmentFor(f.vault, p, { value: p.amount }))
      .to.be.revertedWithCustomError(f.vault, "InvalidOwner")
      .withArgs(await f.vault.getAddress());
    await expect(f.vault.connect(f.bob).createCommitmentFor(f.charity, p, { value: p.amount }))
      .to.be.revertedWithCustomError(f.vault, "InvalidBeneficiary")
      .withArgs(f.charity.address);
  });
});

describe("CommitmentVault.milestoneStates", () => {
  it("packs two bits per milestone, 0..63 low and 64..103 high", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address, { milestones: 104, period: 3600, grace: 0, amount: 104n });
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    expect(await f.vault.milestoneStates(1)).to.deep.equal([0n, 0n]);
    await time.increaseTo(start + 104 * 3600);
    await f.vault.slash(1, 0);
    await f.vault.slash(1, 103);
    expect(await f.vault.milestoneStates(1)).to.deep.equal([2n, 2n << 78n]);
    await expect(f.vault.milestoneStates(2))
      .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
      .withArgs(2);
  });

  it("reads every unsettled milestone of a closed commitment as Refunded", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address, { milestones: 3 });
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    await f.vault.connect(f.alice).cancel(1);
    expect(await f.vault.milestoneStates(1)).to.deep.equal([0b111111n, 0n]);
  });
});

describe("CommitmentVault roles and long commitments", () => {
  it("lets an account renounce its own role", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const role = await f.vault.GUARDIAN_ROLE();
    await expect(f.vault.connect(f.admin).renounceRole(role, f.admin))
      .to.emit(f.vault, "RoleRevoked")
      .withArgs(role, f.admin.address, f.admin.address);
    expect(await f.vault.hasRole(role, f.admin)).to.equal(false);
  });

  it("appeals and rules on milestones from 64 on (the second state word)", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).grantRole(await f.vault.ARBITER_ROLE(), f.keeper);
    const start = (await time.latest()) + DAY;
    const p = params(start, f.charity.address, { milestones: 104, period: 3600, grace: 7200, amount: 1040n });
    await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
    await time.increaseTo(start + 71 * 3600 + 1);
    for (const i of [69, 70]) await f.vault.connect(f.alice).appeal(1, i, { value: 1n });
    expect(await f.vault.milestoneState(1, 70)).to.equal(4n);
    await f.vault.connect(f.keeper).resolveAppeal(1, 69, true);
    await f.vault.connect(f.keeper).resolveAppeal(1, 70, false);
    expect(await f.vault.milestoneState(1, 69)).to.equal(1n);
    expect(await f.vault.milestoneState(1, 70)).to.equal(2n);
    const [, high] = await f.vault.milestoneStates(1);
    expect(high).to.equal((1n << 10n) | (2n << 12n));
  });
});

describe("CommitmentVault hostile tokens and limits", () => {
  it("names a token whose transferFrom lowers the vault's balance: BalanceDecreased", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const token = await ethers.deployContract("ShrinkingToken");
    await f.vault.connect(f.admin).setTokenAllowed(token, true);
    await token.mint(f.vault, 10n);
    await token.mint(f.alice, 100n);
    await token.connect(f.alice).approve(f.vault, 100n);
    const p = params((await time.latest()) + DAY, f.charity.address, {
      token: await token.getAddress(),
      amount: 5n,
    });
    await expect(f.vault.connect(f.alice).createCommitment(p))
      .to.be.revertedWithCustomError(f.vault, "BalanceDecreased")
      .withArgs(await token.getAddress(), 10n, 9n);
  });

  it("reverts with TooManyTokens past 255 allowlisted tokens, and keeps a token's index when it is re-allowed", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).setTokenAllowed(f.usdc, false);
    expect(await f.vault.isTokenAllowed(f.usdc)).to.equal(false);
    await f.vault.connect(f.admin).setTokenAllowed(f.usdc, true);
    expect(await f.vault.isTokenAllowed(f.usdc)).to.equal(true);
    // The mock USDC holds index 1; fill indices 2..255 with arbitrary addresses.
    const calls = [];
    for (let i = 2; i <= 255; i++) {
      const token = ethers.zeroPadValue(ethers.toBeHex(0x1000 + i), 20);
      calls.push(f.vault.interface.encodeFunctionData("setTokenAllowed", [token, true]));
    }
    await f.vault.connect(f.admin).multicall(calls);
    await expect(f.vault.connect(f.admin).setTokenAllowed(f.alice, true))
      .to.be.revertedWithCustomError(f.vault, "TooManyTokens")
      .withArgs(255);
  });

  it("the extension cannot be called directly: NotDelegated", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const extension = await ethers.deployContract("CommitmentVaultExtension");
    await expect(extension.exit(1))
      .to.be.revertedWithCustomError(extension, "NotDelegated")
      .withArgs(await extension.getAddress());
    expect(await f.vault.commitmentCount()).to.equal(0n);
  });

  it("a constructor with an invalid oracle set reverts with the extension's error", async () => {
    const [admin] = await ethers.getSigners();
    const factory = await ethers.getContractFactory("CommitmentVault");
    await expect(factory.deploy(admin?.address as string, [], 1))
      .to.be.revertedWithCustomError(factory, "InvalidOracleCount")
      .withArgs(0, 16);
  });
});
