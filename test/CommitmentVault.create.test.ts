import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import type { Signature } from "ethers";
import { network } from "hardhat";
import type { MockERC20Permit } from "../types/ethers-contracts/index.js";
import {
  DAY,
  makeVaultFixture,
  params,
  RULES_HASH,
  type VaultFixture,
  WEEK,
  ZERO_ADDRESS,
} from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

const vaultFixture = makeVaultFixture(ethers);

const USDC = 10n ** 6n;
const ETH_STAKE = 8n * 10n ** 17n;
const USDC_STAKE = 200n * USDC;
const YEAR = 365 * DAY;

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

type Overrides = Parameters<typeof params>[2];

/** An EIP-2612 permit of `value` from `signer` (on behalf of `owner`) to `spender`, on the mock USDC domain. */
async function signPermit(
  signer: HardhatEthersSigner,
  token: MockERC20Permit,
  owner: string,
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
  const nonce = await token.nonces(owner);
  const raw = await signer.signTypedData(domain, PERMIT_TYPES, { owner, spender, value, nonce, deadline });
  return ethers.Signature.from(raw);
}

/** ETH params starting one day from the latest block, beneficiary charity. */
async function ethParams(f: VaultFixture, overrides: Overrides = {}) {
  const start = (await time.latest()) + DAY;
  return params(start, f.charity.address, overrides);
}

/** USDC params starting one day from the latest block, beneficiary charity. */
async function usdcParams(f: VaultFixture, overrides: Overrides = {}) {
  return ethParams(f, { token: await f.usdc.getAddress(), amount: USDC_STAKE, ...overrides });
}

describe("CommitmentVault.createCommitment", () => {
  describe("when the vault is paused", () => {
    it("reverts with EnforcedPause", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      await f.vault.connect(f.admin).pause();
      const p = await ethParams(f);
      await expect(
        f.vault.connect(f.alice).createCommitment(p, { value: p.amount }),
      ).to.be.revertedWithCustomError(f.vault, "VaultPaused");
      expect(await f.vault.commitmentCount()).to.equal(0n);
    });
  });

  describe("with native ETH", () => {
    it("assigns id 1 to the first commitment and stores every field", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f);
      const id = await f.vault.connect(f.alice).createCommitment.staticCall(p, { value: p.amount });
      expect(id).to.equal(1n);
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });

      expect(await f.vault.commitmentCount()).to.equal(1n);
      const c = await f.vault.getCommitment(1);
      expect(c.owner).to.equal(f.alice.address);
      expect(c.token).to.equal(ZERO_ADDRESS);
      expect(c.amount).to.equal(ETH_STAKE);
      expect(c.start).to.equal(p.start);
      expect(c.period).to.equal(BigInt(WEEK));
      expect(c.milestones).to.equal(8n);
      expect(c.grace).to.equal(BigInt(2 * DAY));
      expect(c.beneficiary).to.equal(f.charity.address);
      expect(c.rulesHash).to.equal(RULES_HASH);
      expect(c.closed).to.equal(false);
    });

    it("emits CommitmentCreated with every argument", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f, { period: 3 * DAY, milestones: 5, grace: DAY, amount: 5_000_000n });
      await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
        .to.emit(f.vault, "CommitmentCreated")
        .withArgs(
          1n,
          f.alice.address,
          ZERO_ADDRESS,
          5_000_000n,
          p.start,
          3 * DAY,
          5,
          DAY,
          f.charity.address,
          RULES_HASH,
        );
    });

    it("issues increasing ids 1, 2, 3 across owners", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f);
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      await expect(f.vault.connect(f.bob).createCommitment(p, { value: p.amount }))
        .to.emit(f.vault, "CommitmentCreated")
        .withArgs(
          2n,
          f.bob.address,
          ZERO_ADDRESS,
          p.amount,
          p.start,
          p.period,
          p.milestones,
          p.grace,
          p.beneficiary,
          p.rulesHash,
        );
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      expect(await f.vault.commitmentCount()).to.equal(3n);
      expect((await f.vault.getCommitment(1)).owner).to.equal(f.alice.address);
      expect((await f.vault.getCommitment(2)).owner).to.equal(f.bob.address);
      expect((await f.vault.getCommitment(3)).owner).to.equal(f.alice.address);
    });

    it("moves the stake from the owner to the vault", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f);
      await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).to.changeEtherBalances(
        ethers,
        [f.alice, f.vault],
        [-ETH_STAKE, ETH_STAKE],
      );
      expect(await ethers.provider.getBalance(f.vault)).to.equal(ETH_STAKE);
    });

    it("opens every milestone and splits the amount, the last milestone taking the remainder", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f, { amount: 1_000_003n });
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      let sum = 0n;
      for (let i = 0; i < 7; i++) {
        expect(await f.vault.milestoneAmount(1, i)).to.equal(125_000n);
        expect(await f.vault.milestoneState(1, i)).to.equal(0n);
        sum += await f.vault.milestoneAmount(1, i);
      }
      expect(await f.vault.milestoneAmount(1, 7)).to.equal(125_003n);
      expect(await f.vault.milestoneState(1, 7)).to.equal(0n);
      sum += await f.vault.milestoneAmount(1, 7);
      expect(sum).to.equal(1_000_003n);
    });

    it("gives a single milestone the whole amount", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f, { amount: 7n, milestones: 1 });
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      expect(await f.vault.milestoneAmount(1, 0)).to.equal(7n);
    });

    it("gives all but the last milestone zero when the amount is below the count", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f, { amount: 3n, milestones: 4 });
      await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
      for (let i = 0; i < 3; i++) expect(await f.vault.milestoneAmount(1, i)).to.equal(0n);
      expect(await f.vault.milestoneAmount(1, 3)).to.equal(3n);
    });

    it("reverts with IncorrectValue when msg.value is below the amount", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f);
      await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount - 1n }))
        .to.be.revertedWithCustomError(f.vault, "IncorrectValue")
        .withArgs(p.amount - 1n, p.amount);
    });

    it("reverts with IncorrectValue when msg.value is above the amount", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f);
      await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount + 1n }))
        .to.be.revertedWithCustomError(f.vault, "IncorrectValue")
        .withArgs(p.amount + 1n, p.amount);
    });

    it("reverts with IncorrectValue when no ETH is sent", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f);
      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.vault, "IncorrectValue")
        .withArgs(0n, p.amount);
    });
  });

  describe("with an ERC-20", () => {
    it("pulls the approved stake into the vault and stores the token", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await usdcParams(f);
      await f.usdc.connect(f.alice).approve(f.vault, p.amount);
      await expect(f.vault.connect(f.alice).createCommitment(p)).to.changeTokenBalances(
        ethers,
        f.usdc,
        [f.alice, f.vault],
        [-USDC_STAKE, USDC_STAKE],
      );
      const c = await f.vault.getCommitment(1);
      expect(c.token).to.equal(await f.usdc.getAddress());
      expect(c.amount).to.equal(USDC_STAKE);
      expect(c.owner).to.equal(f.alice.address);
      expect(await f.usdc.allowance(f.alice, f.vault)).to.equal(0n);
      expect(await ethers.provider.getBalance(f.vault)).to.equal(0n);
    });

    it("emits CommitmentCreated with the token as an argument", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await usdcParams(f, { amount: 1_000_003n });
      await f.usdc.connect(f.alice).approve(f.vault, p.amount);
      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.emit(f.vault, "CommitmentCreated")
        .withArgs(
          1n,
          f.alice.address,
          await f.usdc.getAddress(),
          1_000_003n,
          p.start,
          WEEK,
          8,
          2 * DAY,
          f.charity.address,
          RULES_HASH,
        );
      expect(await f.vault.milestoneAmount(1, 0)).to.equal(125_000n);
      expect(await f.vault.milestoneAmount(1, 7)).to.equal(125_003n);
    });

    it("reverts with IncorrectValue when ETH is sent along", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await usdcParams(f);
      await f.usdc.connect(f.alice).approve(f.vault, p.amount);
      await expect(f.vault.connect(f.alice).createCommitment(p, { value: 1n }))
        .to.be.revertedWithCustomError(f.vault, "IncorrectValue")
        .withArgs(1n, 0n);
    });

    it("reverts with TokenNotAllowed when the token is not allowlisted", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const other = await ethers.deployContract("MockERC20Permit", ["Other", "OTH", 18]);
      await other.mint(f.alice, 10n ** 18n);
      await other.connect(f.alice).approve(f.vault, 10n ** 18n);
      const p = await ethParams(f, { token: await other.getAddress(), amount: 10n ** 18n });
      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
        .withArgs(await other.getAddress());
    });

    it("reverts with TokenNotAllowed once the token was removed from the allowlist", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      await f.vault.connect(f.admin).setTokenAllowed(f.usdc, false);
      const p = await usdcParams(f);
      await f.usdc.connect(f.alice).approve(f.vault, p.amount);
      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
        .withArgs(await f.usdc.getAddress());
    });

    it("reverts with the token's ERC20InsufficientAllowance without an approval", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await usdcParams(f);
      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.usdc, "ERC20InsufficientAllowance")
        .withArgs(await f.vault.getAddress(), 0n, p.amount);
      expect(await f.vault.commitmentCount()).to.equal(0n);
    });

    it("reverts with TransferAmountMismatch for a fee-on-transfer token", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const fee = await ethers.deployContract("FeeOnTransferToken");
      await f.vault.connect(f.admin).setTokenAllowed(fee, true);
      await fee.mint(f.alice, 1_000n);
      await fee.connect(f.alice).approve(f.vault, 1_000n);
      const p = await ethParams(f, { token: await fee.getAddress(), amount: 1_000n });
      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.vault, "TransferAmountMismatch")
        .withArgs(990n, 1_000n);
    });
  });

  describe("parameter validation", () => {
    it("reverts with ZeroAmount when the amount is zero", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await ethParams(f, { amount: 0n });
      await expect(f.vault.connect(f.alice).createCommitment(p, { value: 0n }))
        .to.be.revertedWithCustomError(f.vault, "ZeroAmount")
        .withArgs(ZERO_ADDRESS);
    });

    it("reverts with ZeroAmount for an ERC-20 stake of zero", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const p = await usdcParams(f, { amount: 0n });
      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.vault, "ZeroAmount")
        .withArgs(p.token);
    });

    describe("start", () => {
      it("reverts with InvalidStart when start is one second before now", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const t = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(t);
        const p = params(t - 1, f.charity.address);
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidStart")
          .withArgs(t - 1, t, t + YEAR);
      });

      it("accepts start equal to now", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const t = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(t);
        const p = params(t, f.charity.address);
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.emit(f.vault, "CommitmentCreated")
          .withArgs(
            1n,
            f.alice.address,
            ZERO_ADDRESS,
            p.amount,
            t,
            p.period,
            p.milestones,
            p.grace,
            p.beneficiary,
            p.rulesHash,
          );
        expect((await f.vault.getCommitment(1)).start).to.equal(BigInt(t));
      });

      it("accepts start equal to now + 365 days", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const t = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(t);
        const p = params(t + YEAR, f.charity.address);
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).start).to.equal(BigInt(t + YEAR));
      });

      it("reverts with InvalidStart when start is now + 365 days + 1", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const t = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(t);
        const p = params(t + YEAR + 1, f.charity.address);
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidStart")
          .withArgs(t + YEAR + 1, t, t + YEAR);
      });

      it("reverts with InvalidStart for a start in the distant past", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const t = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(t);
        const p = params(0, f.charity.address);
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidStart")
          .withArgs(0, t, t + YEAR);
      });
    });

    describe("period", () => {
      it("reverts with InvalidPeriod when the period is one second below one hour", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { period: 3_599 });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidPeriod")
          .withArgs(3_599);
      });

      it("reverts with InvalidPeriod when the period is zero", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { period: 0 });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidPeriod")
          .withArgs(0);
      });

      it("accepts a period of exactly one hour", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { period: 3_600 });
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).period).to.equal(3_600n);
      });

      it("accepts a period of exactly 366 days", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { period: 366 * DAY });
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).period).to.equal(BigInt(366 * DAY));
      });

      it("reverts with InvalidPeriod when the period is 366 days + 1", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { period: 366 * DAY + 1 });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidPeriod")
          .withArgs(366 * DAY + 1);
      });
    });

    describe("milestones", () => {
      it("reverts with InvalidMilestoneCount when there are no milestones", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { milestones: 0 });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidMilestoneCount")
          .withArgs(0);
      });

      it("accepts a single milestone", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { milestones: 1 });
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).milestones).to.equal(1n);
        expect(await f.vault.milestoneAmount(1, 0)).to.equal(p.amount);
      });

      it("accepts 104 milestones", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { milestones: 104, amount: 104n * 1_000n + 103n });
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).milestones).to.equal(104n);
        expect(await f.vault.milestoneAmount(1, 0)).to.equal(1_000n);
        expect(await f.vault.milestoneAmount(1, 64)).to.equal(1_000n);
        expect(await f.vault.milestoneAmount(1, 103)).to.equal(1_103n);
        expect(await f.vault.milestoneState(1, 103)).to.equal(0n);
      });

      it("reverts with InvalidMilestoneCount for 105 milestones", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { milestones: 105 });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidMilestoneCount")
          .withArgs(105);
      });

      it("reverts with InvalidMilestoneCount for 256 milestones (does not wrap in storage)", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { milestones: 256 });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidMilestoneCount")
          .withArgs(256);
      });
    });

    describe("grace", () => {
      it("accepts zero grace", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { grace: 0 });
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).grace).to.equal(0n);
      });

      it("accepts a grace of exactly 7 days", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { grace: 7 * DAY });
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).grace).to.equal(BigInt(7 * DAY));
      });

      it("reverts with InvalidGrace for 7 days + 1", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { grace: 7 * DAY + 1 });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidGrace")
          .withArgs(7 * DAY + 1);
      });
    });

    describe("beneficiary", () => {
      it("reverts with InvalidBeneficiary for the zero address", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { beneficiary: ZERO_ADDRESS });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidBeneficiary")
          .withArgs(ZERO_ADDRESS);
      });

      it("reverts with InvalidBeneficiary when the beneficiary is the owner", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { beneficiary: f.alice.address });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidBeneficiary")
          .withArgs(f.alice.address);
      });

      it("reverts with InvalidBeneficiary when the beneficiary is the vault itself", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const vaultAddress = await f.vault.getAddress();
        const p = await ethParams(f, { beneficiary: vaultAddress });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidBeneficiary")
          .withArgs(vaultAddress);
      });

      it("accepts as beneficiary an address that is the owner of another commitment", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { beneficiary: f.bob.address });
        await f.vault.connect(f.alice).createCommitment(p, { value: p.amount });
        expect((await f.vault.getCommitment(1)).beneficiary).to.equal(f.bob.address);
      });
    });

    describe("rulesHash", () => {
      it("reverts with InvalidRulesHash when rulesHash is zero", async () => {
        const f = await networkHelpers.loadFixture(vaultFixture);
        const p = await ethParams(f, { rulesHash: ethers.ZeroHash });
        await expect(f.vault.connect(f.alice).createCommitment(p, { value: p.amount }))
          .to.be.revertedWithCustomError(f.vault, "InvalidRulesHash")
          .withArgs(ethers.ZeroHash);
      });
    });
  });
});

describe("CommitmentVault.createCommitmentWithPermit", () => {
  const PERMIT_DEADLINE_OFFSET = 3_600;

  it("creates the commitment with a fresh EIP-2612 signature and no prior approval", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const p = await usdcParams(f);
    const deadline = BigInt((await time.latest()) + PERMIT_DEADLINE_OFFSET);
    const vaultAddress = await f.vault.getAddress();
    const sig = await signPermit(f.alice, f.usdc, f.alice.address, vaultAddress, p.amount, deadline);
    expect(await f.usdc.allowance(f.alice, f.vault)).to.equal(0n);

    const tx = f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s);
    await expect(tx)
      .to.emit(f.vault, "CommitmentCreated")
      .withArgs(
        1n,
        f.alice.address,
        await f.usdc.getAddress(),
        USDC_STAKE,
        p.start,
        p.period,
        p.milestones,
        p.grace,
        p.beneficiary,
        p.rulesHash,
      );
    await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [-USDC_STAKE, USDC_STAKE]);
    // The permit was consumed, and the allowance it granted was used up entirely.
    expect(await f.usdc.nonces(f.alice)).to.equal(1n);
    expect(await f.usdc.allowance(f.alice, f.vault)).to.equal(0n);
    const c = await f.vault.getCommitment(1);
    expect(c.owner).to.equal(f.alice.address);
    expect(c.token).to.equal(await f.usdc.getAddress());
    expect(c.amount).to.equal(USDC_STAKE);
  });

  it("issues the next id after commitments created without permit", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const eth = await ethParams(f);
    await f.vault.connect(f.alice).createCommitment(eth, { value: eth.amount });
    const p = await usdcParams(f);
    const deadline = BigInt((await time.latest()) + PERMIT_DEADLINE_OFFSET);
    const sig = await signPermit(
      f.bob,
      f.usdc,
      f.bob.address,
      await f.vault.getAddress(),
      p.amount,
      deadline,
    );
    expect(
      await f.vault.connect(f.bob).createCommitmentWithPermit.staticCall(p, deadline, sig.v, sig.r, sig.s),
    ).to.equal(2n);
    await f.vault.connect(f.bob).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s);
    expect(await f.vault.commitmentCount()).to.equal(2n);
    expect((await f.vault.getCommitment(2)).owner).to.equal(f.bob.address);
  });

  it("still succeeds when the permit was front-run and the allowance is in place", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const p = await usdcParams(f);
    const deadline = BigInt((await time.latest()) + PERMIT_DEADLINE_OFFSET);
    const vaultAddress = await f.vault.getAddress();
    const sig = await signPermit(f.alice, f.usdc, f.alice.address, vaultAddress, p.amount, deadline);

    // A third party submits the permit to the token first: its nonce is now used.
    await f.usdc.connect(f.outsider).permit(f.alice, vaultAddress, p.amount, deadline, sig.v, sig.r, sig.s);
    expect(await f.usdc.allowance(f.alice, f.vault)).to.equal(p.amount);
    expect(await f.usdc.nonces(f.alice)).to.equal(1n);

    const tx = f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s);
    await expect(tx)
      .to.emit(f.vault, "CommitmentCreated")
      .withArgs(
        1n,
        f.alice.address,
        await f.usdc.getAddress(),
        USDC_STAKE,
        p.start,
        p.period,
        p.milestones,
        p.grace,
        p.beneficiary,
        p.rulesHash,
      );
    await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [-USDC_STAKE, USDC_STAKE]);
    expect(await f.usdc.allowance(f.alice, f.vault)).to.equal(0n);
    expect(await f.usdc.nonces(f.alice)).to.equal(1n);
  });

  it("reverts with the token's ERC20InsufficientAllowance when the permit is invalid and nothing is approved", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const p = await usdcParams(f);
    const deadline = BigInt((await time.latest()) + PERMIT_DEADLINE_OFFSET);
    const vaultAddress = await f.vault.getAddress();
    // Signed by bob for alice's account: the token rejects it.
    const sig = await signPermit(f.bob, f.usdc, f.alice.address, vaultAddress, p.amount, deadline);
    await expect(f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s))
      .to.be.revertedWithCustomError(f.usdc, "ERC20InsufficientAllowance")
      .withArgs(vaultAddress, 0n, p.amount);
    expect(await f.vault.commitmentCount()).to.equal(0n);
    expect(await f.usdc.balanceOf(f.vault)).to.equal(0n);
  });

  it("reverts with ERC20InsufficientAllowance when the permit has expired and nothing is approved", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const p = await usdcParams(f);
    const deadline = BigInt(await time.latest());
    const vaultAddress = await f.vault.getAddress();
    const sig = await signPermit(f.alice, f.usdc, f.alice.address, vaultAddress, p.amount, deadline);
    await time.increase(10);
    await expect(f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s))
      .to.be.revertedWithCustomError(f.usdc, "ERC20InsufficientAllowance")
      .withArgs(vaultAddress, 0n, p.amount);
  });

  it("reverts with ERC20InsufficientAllowance when the permit covers less than the amount", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const p = await usdcParams(f);
    const deadline = BigInt((await time.latest()) + PERMIT_DEADLINE_OFFSET);
    const vaultAddress = await f.vault.getAddress();
    // A permit for less than p.amount does not match the value the vault submits, so it is rejected.
    const sig = await signPermit(f.alice, f.usdc, f.alice.address, vaultAddress, p.amount - 1n, deadline);
    await expect(f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s))
      .to.be.revertedWithCustomError(f.usdc, "ERC20InsufficientAllowance")
      .withArgs(vaultAddress, 0n, p.amount);
  });

  it("reverts with TokenNotAllowed for address(0)", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const p = await ethParams(f);
    await expect(
      f.vault.connect(f.alice).createCommitmentWithPermit(p, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    )
      .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
      .withArgs(ZERO_ADDRESS);
  });

  it("reverts with TokenNotAllowed for a token that is not allowlisted", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const other = await ethers.deployContract("MockERC20Permit", ["Other", "OTH", 6]);
    await other.mint(f.alice, USDC_STAKE);
    await other.connect(f.alice).approve(f.vault, USDC_STAKE);
    const p = await usdcParams(f, { token: await other.getAddress() });
    await expect(
      f.vault.connect(f.alice).createCommitmentWithPermit(p, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    )
      .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
      .withArgs(await other.getAddress());
  });

  it("reverts with EnforcedPause when the vault is paused", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.vault.connect(f.admin).pause();
    const p = await usdcParams(f);
    const deadline = BigInt((await time.latest()) + PERMIT_DEADLINE_OFFSET);
    const sig = await signPermit(
      f.alice,
      f.usdc,
      f.alice.address,
      await f.vault.getAddress(),
      p.amount,
      deadline,
    );
    await expect(
      f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, sig.v, sig.r, sig.s),
    ).to.be.revertedWithCustomError(f.vault, "VaultPaused");
    expect(await f.usdc.nonces(f.alice)).to.equal(0n);
  });

  it("applies the same parameter validation as createCommitment", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    await f.usdc.connect(f.alice).approve(f.vault, USDC_STAKE);
    const zero = await usdcParams(f, { amount: 0n });
    await expect(
      f.vault.connect(f.alice).createCommitmentWithPermit(zero, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    ).to.be.revertedWithCustomError(f.vault, "ZeroAmount");
    const self = await usdcParams(f, { beneficiary: f.alice.address });
    await expect(
      f.vault.connect(f.alice).createCommitmentWithPermit(self, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    )
      .to.be.revertedWithCustomError(f.vault, "InvalidBeneficiary")
      .withArgs(f.alice.address);
    const tooMany = await usdcParams(f, { milestones: 105 });
    await expect(
      f.vault.connect(f.alice).createCommitmentWithPermit(tooMany, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    )
      .to.be.revertedWithCustomError(f.vault, "InvalidMilestoneCount")
      .withArgs(105);
  });

  it("reverts with TransferAmountMismatch for an allowlisted fee-on-transfer token", async () => {
    const f = await networkHelpers.loadFixture(vaultFixture);
    const fee = await ethers.deployContract("FeeOnTransferToken");
    await f.vault.connect(f.admin).setTokenAllowed(fee, true);
    await fee.mint(f.alice, 1_000n);
    await fee.connect(f.alice).approve(f.vault, 1_000n);
    const p = await ethParams(f, { token: await fee.getAddress(), amount: 1_000n });
    await expect(
      f.vault.connect(f.alice).createCommitmentWithPermit(p, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    )
      .to.be.revertedWithCustomError(f.vault, "TransferAmountMismatch")
      .withArgs(990n, 1_000n);
  });
});
