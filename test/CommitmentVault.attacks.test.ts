import { expect } from "chai";
import { network } from "hardhat";
import { deployVault } from "../scripts/lib/deployVault.js";
import type { CommitmentVault } from "../types/ethers-contracts/index.js";
import {
  ATTESTATION_TYPES,
  DAY,
  EVIDENCE_HASH,
  makeVaultFixture,
  malleate,
  params,
  signAttestation,
  signSorted,
  sortByAddress,
  type VaultFixture,
  WEEK,
  ZERO_ADDRESS,
} from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

/** The vault's `ReentrantCall(address caller)` revert data for a re-entry made by `caller`. */
function reentrantCall(caller: string): string {
  return ethers.concat([ethers.id("ReentrantCall(address)").slice(0, 10), ethers.zeroPadValue(caller, 32)]);
}
/** Enum values of MilestoneState. */
const OPEN = 0n;
const RELEASED = 1n;
const SLASHED = 2n;
/** Token stakes: 8 milestones of 1,000,000 units each. */
const TOKEN_STAKE = 8_000_000n;
const TOKEN_SHARE = 1_000_000n;
/** ETH stakes from `params()`: 0.8 ETH over 8 milestones. */
const ETH_SHARE = 10n ** 17n;

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

const vaultFixture = makeVaultFixture(ethers);

interface EthFixture extends VaultFixture {
  start: number;
  /** Claim deadline of milestone 0 before any pause: start + period + grace. */
  deadline0: number;
}

/**
 * Two identical ETH commitments by alice (ids 1 and 2: same owner, same rulesHash, same schedule), 8 weekly
 * milestones from `start` (one day ahead), 2 days of grace, charity as beneficiary.
 */
async function ethCommitmentsFixture(): Promise<EthFixture> {
  const f = await vaultFixture();
  const start = (await networkHelpers.time.latest()) + DAY;
  const p = params(start, f.charity.address);
  await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
  await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
  return { ...f, start, deadline0: start + WEEK + 2 * DAY };
}

/** A second vault deployed with exactly the same oracles and quorum, holding an identical commitment (id 1). */
async function twoVaultsFixture() {
  const f = await ethCommitmentsFixture();
  const { vault: otherVault } = await deployVault(ethers, {
    admin: f.admin.address,
    oracles: f.oracles.map((o) => o.address),
    threshold: 2,
  });
  const p = params(f.start, f.charity.address);
  await (await otherVault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
  return { ...f, otherVault };
}

/** A ReentrantToken on the allowlist, with alice holding a commitment in it (id 1) and an allowance for more. */
async function reentrantTokenFixture() {
  const f = await vaultFixture();
  const token = await ethers.deployContract("ReentrantToken");
  const tokenAddress = await token.getAddress();
  await (await f.vault.connect(f.admin).setTokenAllowed(tokenAddress, true)).wait();
  await (await token.mint(f.alice.address, 10n * TOKEN_STAKE)).wait();
  await (await token.connect(f.alice).approve(await f.vault.getAddress(), ethers.MaxUint256)).wait();
  const start = (await networkHelpers.time.latest()) + DAY;
  const p = params(start, f.charity.address, { token: tokenAddress, amount: TOKEN_STAKE });
  await (await f.vault.connect(f.alice).createCommitment(p)).wait();
  return { ...f, token, tokenAddress, start };
}

/** A ReentrantReceiver (smart account) owning two ETH commitments (ids 1 and 2) created through `execute`. */
async function reentrantReceiverFixture() {
  const f = await vaultFixture();
  const receiver = await ethers.deployContract("ReentrantReceiver");
  const receiverAddress = await receiver.getAddress();
  const vaultAddress = await f.vault.getAddress();
  const start = (await networkHelpers.time.latest()) + DAY;
  const p = params(start, f.charity.address);
  const data = f.vault.interface.encodeFunctionData("createCommitment", [p]);
  for (let i = 0; i < 2; i++) {
    await (await receiver.connect(f.alice).execute(vaultAddress, data, { value: p.amount })).wait();
  }
  return { ...f, receiver, receiverAddress, vaultAddress, start, stake: p.amount };
}

/** A BlocklistToken on the allowlist, with alice holding a commitment in it (id 1). */
async function blocklistFixture() {
  const f = await vaultFixture();
  const token = await ethers.deployContract("BlocklistToken");
  const tokenAddress = await token.getAddress();
  await (await f.vault.connect(f.admin).setTokenAllowed(tokenAddress, true)).wait();
  await (await token.mint(f.alice.address, TOKEN_STAKE)).wait();
  await (await token.connect(f.alice).approve(await f.vault.getAddress(), TOKEN_STAKE)).wait();
  const start = (await networkHelpers.time.latest()) + DAY;
  const p = params(start, f.charity.address, { token: tokenAddress, amount: TOKEN_STAKE });
  await (await f.vault.connect(f.alice).createCommitment(p)).wait();
  return { ...f, token, tokenAddress, start, deadline0: start + WEEK + 2 * DAY };
}

/** A RevertingReceiver (rejecting ETH) owning an ETH commitment (id 1) created through `execute`. */
async function revertingReceiverFixture() {
  const f = await vaultFixture();
  const receiver = await ethers.deployContract("RevertingReceiver");
  const receiverAddress = await receiver.getAddress();
  const vaultAddress = await f.vault.getAddress();
  const start = (await networkHelpers.time.latest()) + DAY;
  const p = params(start, f.charity.address);
  const data = f.vault.interface.encodeFunctionData("createCommitment", [p]);
  await (await receiver.connect(f.alice).execute(vaultAddress, data, { value: p.amount })).wait();
  return { ...f, receiver, receiverAddress, vaultAddress, start };
}

/** A GasGuzzlerReceiver (burns all gas it is given) owning an ETH commitment (id 1). */
async function gasGuzzlerFixture() {
  const f = await vaultFixture();
  const receiver = await ethers.deployContract("GasGuzzlerReceiver");
  const receiverAddress = await receiver.getAddress();
  const start = (await networkHelpers.time.latest()) + DAY;
  const p = params(start, f.charity.address);
  const data = f.vault.interface.encodeFunctionData("createCommitment", [p]);
  await (
    await receiver.connect(f.alice).execute(await f.vault.getAddress(), data, { value: p.amount })
  ).wait();
  return { ...f, receiverAddress, start };
}

/** Quorum signatures (the two lowest oracles by default), sorted, over the stored rulesHash of `id`. */
async function attest(
  f: VaultFixture,
  id: number,
  index: number,
  validUntil: number | bigint,
  signers = f.oracles.slice(0, 2),
  vault: CommitmentVault = f.vault,
): Promise<string[]> {
  const { rulesHash } = await vault.getCommitment(id);
  return signSorted(signers, vault, {
    commitmentId: BigInt(id),
    milestoneIndex: BigInt(index),
    rulesHash,
    evidenceHash: EVIDENCE_HASH,
    validUntil: BigInt(validUntil),
  });
}

/** The address a signature recovers to against the digest `vault` computes for (id, index). */
async function recoveredOn(
  vault: CommitmentVault,
  id: number,
  index: number,
  validUntil: number,
  signature: string,
): Promise<string> {
  return ethers.recoverAddress(await vault.hashAttestation(id, index, EVIDENCE_HASH, validUntil), signature);
}

/** Asserts that nothing moved: vault ETH balance as before and the milestone still Open. */
async function expectUntouched(
  vault: CommitmentVault,
  id: number,
  index: number,
  vaultBalanceBefore: bigint,
) {
  expect(await ethers.provider.getBalance(await vault.getAddress())).to.equal(vaultBalanceBefore);
  expect(await vault.milestoneState(id, index)).to.equal(OPEN);
}

describe("CommitmentVault: attacks", () => {
  describe("signature replay", () => {
    it("reverts when an attestation is replayed on another milestone of the same commitment", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      // Inside window 1, milestone 0 is still claimable (grace), milestone 1 is open too.
      await networkHelpers.time.increaseTo(f.start + WEEK + 1);
      const validUntil = f.start + 2 * WEEK;
      const sigs = await attest(f, 1, 0, validUntil);
      const first = must(sigs[0], "signature");
      const recovered = await recoveredOn(f.vault, 1, 1, validUntil, first);
      // Cross-check the recovery with ethers' own EIP-712 implementation.
      const domain = {
        name: "ResolutionAutopilot",
        version: "1",
        chainId: 31337n,
        verifyingContract: await f.vault.getAddress(),
      };
      const message = {
        commitmentId: 1n,
        milestoneIndex: 1n,
        rulesHash: (await f.vault.getCommitment(1)).rulesHash,
        evidenceHash: EVIDENCE_HASH,
        validUntil: BigInt(validUntil),
      };
      expect(ethers.verifyTypedData(domain, ATTESTATION_TYPES, message, first)).to.equal(recovered);
      expect(f.oracles.map((o) => o.address)).to.not.include(recovered);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 1, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
        .withArgs(0, recovered);
      await expectUntouched(f.vault, 1, 1, balance);
      // The same signatures are valid for the milestone they were issued for.
      await f.vault.claimMilestone.staticCall(1, 0, EVIDENCE_HASH, validUntil, sigs);
    });

    it("reverts when an attestation is replayed on another commitment with the same owner and rulesHash", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const [c1, c2] = [await f.vault.getCommitment(1), await f.vault.getCommitment(2)];
      expect(c2.owner).to.equal(c1.owner);
      expect(c2.rulesHash).to.equal(c1.rulesHash);
      expect(c2.start).to.equal(c1.start);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      const recovered = await recoveredOn(f.vault, 2, 0, validUntil, must(sigs[0], "signature"));
      expect(f.oracles.map((o) => o.address)).to.not.include(recovered);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).claimMilestone(2, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
        .withArgs(0, recovered);
      await expectUntouched(f.vault, 2, 0, balance);
      await f.vault.claimMilestone.staticCall(1, 0, EVIDENCE_HASH, validUntil, sigs);
    });

    it("reverts when an attestation is replayed on another vault deployment with the same oracles", async () => {
      const f = await networkHelpers.loadFixture(twoVaultsFixture);
      expect(await f.otherVault.oracles()).to.deep.equal(await f.vault.oracles());
      expect((await f.otherVault.getCommitment(1)).rulesHash).to.equal(
        (await f.vault.getCommitment(1)).rulesHash,
      );
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      const recovered = await recoveredOn(f.otherVault, 1, 0, validUntil, must(sigs[0], "signature"));
      expect(f.oracles.map((o) => o.address)).to.not.include(recovered);
      const balance = await ethers.provider.getBalance(await f.otherVault.getAddress());

      await expect(f.otherVault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.otherVault, "SignerNotOracle")
        .withArgs(0, recovered);
      await expectUntouched(f.otherVault, 1, 0, balance);
      await f.vault.claimMilestone.staticCall(1, 0, EVIDENCE_HASH, validUntil, sigs);
    });

    it("reverts when an attestation signed for another chain id is submitted", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const { chainId } = await ethers.provider.getNetwork();
      expect(chainId).to.equal(31337n);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const attestation = {
        commitmentId: 1n,
        milestoneIndex: 0n,
        rulesHash: (await f.vault.getCommitment(1)).rulesHash,
        evidenceHash: EVIDENCE_HASH,
        validUntil: BigInt(validUntil),
      };
      const sigs = await Promise.all(
        sortByAddress(f.oracles.slice(0, 2)).map((o) => signAttestation(o, f.vault, attestation, 1n)),
      );
      const recovered = await recoveredOn(f.vault, 1, 0, validUntil, must(sigs[0], "signature"));
      expect(f.oracles.map((o) => o.address)).to.not.include(recovered);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
        .withArgs(0, recovered);
      await expectUntouched(f.vault, 1, 0, balance);
    });
  });

  describe("signer set", () => {
    it("reverts when a signature comes from an oracle that was removed after signing", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const [o0, o1, o2] = [must(f.oracles[0], "o0"), must(f.oracles[1], "o1"), must(f.oracles[2], "o2")];
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil, [o0, o1]);
      // Valid while o1 is an oracle.
      await f.vault.claimMilestone.staticCall(1, 0, EVIDENCE_HASH, validUntil, sigs);

      await expect(f.vault.connect(f.admin).setOracles([o0.address, o2.address], 2))
        .to.emit(f.vault, "OraclesUpdated")
        .withArgs([o0.address, o2.address], 2);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
        .withArgs(1, o1.address);
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when the same signature is submitted twice", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const o0 = must(f.oracles[0], "o0");
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const [sig] = await attest(f, 1, 0, validUntil, [o0]);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(
        f.vault
          .connect(f.keeper)
          .claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [must(sig, "sig"), must(sig, "sig")]),
      )
        .to.be.revertedWithCustomError(f.vault, "SignersNotAscending")
        .withArgs(1, o0.address, o0.address);
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when the signers are in descending order", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const [o0, o1] = [must(f.oracles[0], "o0"), must(f.oracles[1], "o1")];
      expect(BigInt(o0.address) < BigInt(o1.address)).to.equal(true);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const [low, high] = await attest(f, 1, 0, validUntil, [o0, o1]);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(
        f.vault
          .connect(f.keeper)
          .claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [must(high, "high"), must(low, "low")]),
      )
        .to.be.revertedWithCustomError(f.vault, "SignersNotAscending")
        .withArgs(1, o0.address, o1.address);
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when fewer signatures than the threshold are given", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil, [must(f.oracles[2], "o2")]);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "InsufficientSignatures")
        .withArgs(1, 2);
      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, []))
        .to.be.revertedWithCustomError(f.vault, "InsufficientSignatures")
        .withArgs(0, 2);
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when a signature is the high-s twin of a valid one", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const [sig0, sig1] = await attest(f, 1, 0, validUntil);
      const twin = malleate(must(sig0, "sig0"));
      const highS = `0x${twin.slice(66, 130)}`;
      // Under plain ecrecover the twin recovers to the same oracle: only the low-s rule stops it.
      const digest = await f.vault.hashAttestation(1, 0, EVIDENCE_HASH, validUntil);
      const sig = ethers.Signature.from(must(sig0, "sig0"));
      expect(BigInt(highS)).to.equal(ethers.N - BigInt(sig.s));
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(
        f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [twin, must(sig1, "sig1")]),
      )
        .to.be.revertedWithCustomError(f.vault, "InvalidSignature")
        .withArgs(0, 3, highS); // position 0, RecoverError.InvalidSignatureS
      await expectUntouched(f.vault, 1, 0, balance);
      expect(ethers.recoverAddress(digest, must(sig0, "sig0"))).to.equal(must(f.oracles[0], "o0").address);
    });

    it("reverts when a signature is 64 bytes long", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const [sig0, sig1] = await attest(f, 1, 0, validUntil);
      // r || s without v (not ERC-2098 compact; either way, only 65-byte signatures are accepted).
      const short = must(sig0, "sig0").slice(0, 2 + 128);
      expect(ethers.dataLength(short)).to.equal(64);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(
        f.vault
          .connect(f.keeper)
          .claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [short, must(sig1, "sig1")]),
      )
        .to.be.revertedWithCustomError(f.vault, "InvalidSignature")
        .withArgs(0, 2, ethers.toBeHex(64, 32)); // RecoverError.InvalidSignatureLength
      // The ERC-2098 compact form of the same signature is rejected too.
      const compact = ethers.Signature.from(must(sig0, "sig0")).compactSerialized;
      await expect(
        f.vault
          .connect(f.keeper)
          .claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [compact, must(sig1, "sig1")]),
      )
        .to.be.revertedWithCustomError(f.vault, "InvalidSignature")
        .withArgs(0, 2, ethers.toBeHex(64, 32)); // RecoverError.InvalidSignatureLength
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when a signature carries v = 0 or 1 instead of 27 or 28", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const [sig0, sig1] = await attest(f, 1, 0, validUntil);
      const s0 = must(sig0, "sig0");
      const v = Number.parseInt(s0.slice(130, 132), 16);
      const yParity = `${s0.slice(0, 130)}0${v - 27}`;
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(
        f.vault
          .connect(f.keeper)
          .claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [yParity, must(sig1, "sig1")]),
      )
        .to.be.revertedWithCustomError(f.vault, "InvalidSignature")
        .withArgs(0, 1, ethers.ZeroHash); // RecoverError.InvalidSignature
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when a signature is by an address that is not an oracle", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const o0 = must(f.oracles[0], "o0");
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const signers = sortByAddress([o0, f.outsider]);
      const position = signers.findIndex((s) => s.address === f.outsider.address);
      const sigs = await attest(f, 1, 0, validUntil, signers);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "SignerNotOracle")
        .withArgs(position, f.outsider.address);
      await expectUntouched(f.vault, 1, 0, balance);
    });
  });

  describe("timing", () => {
    it("reverts when the attestation has expired", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());
      await networkHelpers.time.setNextBlockTimestamp(validUntil + 1);

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "AttestationExpired")
        .withArgs(validUntil, validUntil + 1);
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when the claim comes before the window opens", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const validUntil = f.start + 3 * WEEK;
      const sigs0 = await attest(f, 1, 0, validUntil);
      const sigs1 = await attest(f, 1, 1, validUntil);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());
      await networkHelpers.time.setNextBlockTimestamp(f.start - 1);

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs0))
        .to.be.revertedWithCustomError(f.vault, "WindowNotOpen")
        .withArgs(1, 0, f.start);
      // Milestone 1 cannot be claimed during window 0 either.
      await networkHelpers.time.setNextBlockTimestamp(f.start + WEEK - 1);
      await expect(f.vault.connect(f.keeper).claimMilestone(1, 1, EVIDENCE_HASH, validUntil, sigs1))
        .to.be.revertedWithCustomError(f.vault, "WindowNotOpen")
        .withArgs(1, 1, f.start + WEEK);
      await expectUntouched(f.vault, 1, 0, balance);
      await expectUntouched(f.vault, 1, 1, balance);
    });

    it("reverts when the claim comes exactly at the claim deadline", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const validUntil = f.deadline0 + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      expect(await f.vault.claimDeadline(1, 0)).to.equal(f.deadline0);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0);

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
        .withArgs(1, 0, f.deadline0);
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("reverts when the claim comes after the claim deadline", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const validUntil = f.deadline0 + 2 * DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0 + DAY);

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlinePassed")
        .withArgs(1, 0, f.deadline0);
      await expectUntouched(f.vault, 1, 0, balance);
    });

    it("claims one second before the claim deadline (control for the two tests above)", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const validUntil = f.deadline0 + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0 - 1);

      await expect(
        f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs),
      ).to.changeEtherBalance(ethers, f.alice, ETH_SHARE);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
    });

    it("reverts when a slash comes before the claim deadline", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0 - 1);

      await expect(f.vault.connect(f.keeper).slash(1, 0))
        .to.be.revertedWithCustomError(f.vault, "ClaimDeadlineNotReached")
        .withArgs(1, 0, f.deadline0);
      await expectUntouched(f.vault, 1, 0, balance);
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(0n);

      // At the deadline itself the slash goes through.
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0);
      await expect(f.vault.connect(f.keeper).slash(1, 0))
        .to.emit(f.vault, "MilestoneSlashed")
        .withArgs(1, 0, f.charity.address, ETH_SHARE);
    });

    it("reverts when a claim comes after the milestone was slashed", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const validUntil = f.deadline0 + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0);
      await (await f.vault.connect(f.keeper).slash(1, 0)).wait();
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
        .withArgs(1, 0, SLASHED);
      expect(await ethers.provider.getBalance(await f.vault.getAddress())).to.equal(balance);
      expect(await f.vault.milestoneState(1, 0)).to.equal(SLASHED);
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(ETH_SHARE);
    });

    it("reverts when a slash comes after the milestone was claimed", async () => {
      const f = await networkHelpers.loadFixture(ethCommitmentsFixture);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      await networkHelpers.time.increaseTo(f.start + 1);
      await (await f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs)).wait();
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0 + DAY);
      const balance = await ethers.provider.getBalance(await f.vault.getAddress());

      await expect(f.vault.connect(f.keeper).slash(1, 0))
        .to.be.revertedWithCustomError(f.vault, "MilestoneNotOpen")
        .withArgs(1, 0, RELEASED);
      expect(await ethers.provider.getBalance(await f.vault.getAddress())).to.equal(balance);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.credits(f.charity.address, ZERO_ADDRESS)).to.equal(0n);
    });
  });

  describe("reentrancy", () => {
    it("reverts the re-entry when a token re-enters claimMilestone during the owner payout", async () => {
      const f = await networkHelpers.loadFixture(reentrantTokenFixture);
      await networkHelpers.time.increaseTo(f.start + WEEK + 1);
      const validUntil = f.start + 2 * WEEK;
      const sigs0 = await attest(f, 1, 0, validUntil);
      const sigs1 = await attest(f, 1, 1, validUntil);
      // The nested call would succeed on its own: valid quorum, window 1 open.
      await f.vault.claimMilestone.staticCall(1, 1, EVIDENCE_HASH, validUntil, sigs1);
      const reentry = f.vault.interface.encodeFunctionData("claimMilestone", [
        1,
        1,
        EVIDENCE_HASH,
        validUntil,
        sigs1,
      ]);
      await (await f.token.arm(await f.vault.getAddress(), reentry)).wait();

      const tx = await f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs0);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(1, 0, f.alice.address, TOKEN_SHARE, EVIDENCE_HASH);
      await expect(tx).to.changeTokenBalance(ethers, f.token, f.alice, TOKEN_SHARE);
      await expect(tx).to.not.emit(f.vault, "Credited");
      expect(await f.token.attempted()).to.equal(true);
      expect(await f.token.reentrySucceeded()).to.equal(false);
      expect(await f.token.reentryRevertData()).to.equal(reentrantCall(await f.token.getAddress()));
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.milestoneState(1, 1)).to.equal(OPEN);
      expect(await f.token.balanceOf(await f.vault.getAddress())).to.equal(TOKEN_STAKE - TOKEN_SHARE);
    });

    it("reverts the re-entry when a token re-enters slash during createCommitment's transferFrom", async () => {
      const f = await networkHelpers.loadFixture(reentrantTokenFixture);
      const deadline0 = f.start + WEEK + 2 * DAY;
      await networkHelpers.time.increaseTo(deadline0);
      // Milestone 0 of commitment 1 is slashable: the nested call would succeed on its own.
      await f.vault.slash.staticCall(1, 0);
      await (
        await f.token.arm(await f.vault.getAddress(), f.vault.interface.encodeFunctionData("slash", [1, 0]))
      ).wait();
      const start = (await networkHelpers.time.latest()) + DAY;
      const p = params(start, f.charity.address, { token: f.tokenAddress, amount: TOKEN_STAKE });

      const tx = await f.vault.connect(f.alice).createCommitment(p);
      await expect(tx)
        .to.emit(f.vault, "CommitmentCreated")
        .withArgs(
          2,
          f.alice.address,
          f.tokenAddress,
          TOKEN_STAKE,
          start,
          WEEK,
          8,
          2 * DAY,
          f.charity.address,
          p.rulesHash,
        );
      await expect(tx).to.changeTokenBalance(ethers, f.token, f.alice, -TOKEN_STAKE);
      await expect(tx).to.not.emit(f.vault, "MilestoneSlashed");
      expect(await f.token.attempted()).to.equal(true);
      expect(await f.token.reentrySucceeded()).to.equal(false);
      expect(await f.token.reentryRevertData()).to.equal(reentrantCall(await f.token.getAddress()));
      expect(await f.vault.milestoneState(1, 0)).to.equal(OPEN);
      expect(await f.vault.credits(f.charity.address, f.tokenAddress)).to.equal(0n);
      expect(await f.token.balanceOf(await f.vault.getAddress())).to.equal(2n * TOKEN_STAKE);
    });

    it("reverts the re-entry when an ETH owner re-enters claimMilestone from its receive hook", async () => {
      const f = await networkHelpers.loadFixture(reentrantReceiverFixture);
      expect((await f.vault.getCommitment(1)).owner).to.equal(f.receiverAddress);
      await networkHelpers.time.increaseTo(f.start + WEEK + 1);
      const validUntil = f.start + 2 * WEEK;
      const sigs0 = await attest(f, 1, 0, validUntil);
      const sigs1 = await attest(f, 1, 1, validUntil);
      await f.vault.claimMilestone.staticCall(1, 1, EVIDENCE_HASH, validUntil, sigs1);
      const reentry = f.vault.interface.encodeFunctionData("claimMilestone", [
        1,
        1,
        EVIDENCE_HASH,
        validUntil,
        sigs1,
      ]);
      await (await f.receiver.setReentry(f.vaultAddress, reentry)).wait();

      const tx = await f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs0);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(1, 0, f.receiverAddress, ETH_SHARE, EVIDENCE_HASH);
      await expect(tx).to.changeEtherBalance(ethers, f.receiverAddress, ETH_SHARE);
      await expect(tx).to.not.emit(f.vault, "Credited");
      expect(await f.receiver.attempted()).to.equal(true);
      expect(await f.receiver.reentrySucceeded()).to.equal(false);
      expect(await f.receiver.reentryRevertHash()).to.equal(
        ethers.keccak256(reentrantCall(await f.receiver.getAddress())),
      );
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.milestoneState(1, 1)).to.equal(OPEN);
      expect(await ethers.provider.getBalance(f.vaultAddress)).to.equal(2n * f.stake - ETH_SHARE);
    });

    it("reverts the re-entry when an ETH owner re-enters cancel from its refund", async () => {
      const f = await networkHelpers.loadFixture(reentrantReceiverFixture);
      // The owner itself re-enters, so without the guard cancelling commitment 2 would succeed.
      await (
        await f.receiver.setReentry(f.vaultAddress, f.vault.interface.encodeFunctionData("cancel", [2]))
      ).wait();

      const tx = await f.receiver.execute(
        f.vaultAddress,
        f.vault.interface.encodeFunctionData("cancel", [1]),
      );
      await expect(tx).to.emit(f.vault, "CommitmentCancelled").withArgs(1, f.receiverAddress, f.stake);
      await expect(tx).to.changeEtherBalance(ethers, f.receiverAddress, f.stake);
      expect(await f.receiver.attempted()).to.equal(true);
      expect(await f.receiver.reentrySucceeded()).to.equal(false);
      expect(await f.receiver.reentryRevertHash()).to.equal(
        ethers.keccak256(reentrantCall(await f.receiver.getAddress())),
      );
      expect((await f.vault.getCommitment(1)).closed).to.equal(true);
      expect((await f.vault.getCommitment(2)).closed).to.equal(false);
      expect(await f.vault.milestoneState(2, 0)).to.equal(OPEN);
      expect(await ethers.provider.getBalance(f.vaultAddress)).to.equal(f.stake);
    });
  });

  describe("tokens", () => {
    it("reverts when a fee-on-transfer token delivers less than the stake", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const fee = await ethers.deployContract("FeeOnTransferToken");
      const feeAddress = await fee.getAddress();
      const vaultAddress = await f.vault.getAddress();
      await (await f.vault.connect(f.admin).setTokenAllowed(feeAddress, true)).wait();
      await (await fee.mint(f.alice.address, 1_000_000n)).wait();
      await (await fee.connect(f.alice).approve(vaultAddress, 1_000_000n)).wait();
      const start = (await networkHelpers.time.latest()) + DAY;
      const p = params(start, f.charity.address, { token: feeAddress, amount: 1_000_000n });

      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.vault, "TransferAmountMismatch")
        .withArgs(990_000n, 1_000_000n);
      expect(await fee.balanceOf(f.alice.address)).to.equal(1_000_000n);
      expect(await fee.balanceOf(vaultAddress)).to.equal(0n);
      expect(await f.vault.commitmentCount()).to.equal(0n);
    });

    it("reverts when the stake token is not allowlisted", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const other = await ethers.deployContract("MockERC20Permit", ["Other", "OTH", 6]);
      const otherAddress = await other.getAddress();
      const vaultAddress = await f.vault.getAddress();
      await (await other.mint(f.alice.address, TOKEN_STAKE)).wait();
      await (await other.connect(f.alice).approve(vaultAddress, TOKEN_STAKE)).wait();
      const start = (await networkHelpers.time.latest()) + DAY;
      const p = params(start, f.charity.address, { token: otherAddress, amount: TOKEN_STAKE });
      expect(await f.vault.isTokenAllowed(otherAddress)).to.equal(false);

      await expect(f.vault.connect(f.alice).createCommitment(p))
        .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
        .withArgs(otherAddress);
      await expect(
        f.vault.connect(f.alice).createCommitmentWithPermit(p, start, 27, ethers.ZeroHash, ethers.ZeroHash),
      )
        .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
        .withArgs(otherAddress);
      expect(await other.balanceOf(f.alice.address)).to.equal(TOKEN_STAKE);
      expect(await f.vault.commitmentCount()).to.equal(0n);

      // A token taken off the allowlist is refused the same way.
      const usdcAddress = await f.usdc.getAddress();
      await (await f.vault.connect(f.admin).setTokenAllowed(usdcAddress, false)).wait();
      await (await f.usdc.connect(f.alice).approve(vaultAddress, TOKEN_STAKE)).wait();
      await expect(f.vault.connect(f.alice).createCommitment({ ...p, token: usdcAddress }))
        .to.be.revertedWithCustomError(f.vault, "TokenNotAllowed")
        .withArgs(usdcAddress);
      expect(await f.usdc.balanceOf(vaultAddress)).to.equal(0n);
    });

    it("does not let a blocklisted owner block a claim: the share is credited", async () => {
      const f = await networkHelpers.loadFixture(blocklistFixture);
      const vaultAddress = await f.vault.getAddress();
      await (await f.token.setBlocked(f.alice.address, true)).wait();
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil);

      const tx = await f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(1, 0, f.alice.address, TOKEN_SHARE, EVIDENCE_HASH);
      await expect(tx).to.emit(f.vault, "Credited").withArgs(f.alice.address, f.tokenAddress, TOKEN_SHARE);
      await expect(tx).to.changeTokenBalance(ethers, f.token, f.alice, 0n);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.credits(f.alice.address, f.tokenAddress)).to.equal(TOKEN_SHARE);
      expect(await f.token.balanceOf(vaultAddress)).to.equal(TOKEN_STAKE);

      await expect(f.vault.connect(f.alice).withdraw(f.tokenAddress))
        .to.be.revertedWithCustomError(f.vault, "PayoutFailed")
        .withArgs(f.alice.address, f.tokenAddress, TOKEN_SHARE);
      expect(await f.vault.credits(f.alice.address, f.tokenAddress)).to.equal(TOKEN_SHARE);

      await (await f.token.setBlocked(f.alice.address, false)).wait();
      const withdrawal = await f.vault.connect(f.alice).withdraw(f.tokenAddress);
      await expect(withdrawal)
        .to.emit(f.vault, "Withdrawn")
        .withArgs(f.alice.address, f.tokenAddress, TOKEN_SHARE);
      await expect(withdrawal).to.changeTokenBalance(ethers, f.token, f.alice, TOKEN_SHARE);
      expect(await f.vault.credits(f.alice.address, f.tokenAddress)).to.equal(0n);
      expect(await f.token.balanceOf(vaultAddress)).to.equal(TOKEN_STAKE - TOKEN_SHARE);
    });

    it("does not let a blocklisted beneficiary block a slash: the share is credited", async () => {
      const f = await networkHelpers.loadFixture(blocklistFixture);
      await (await f.token.setBlocked(f.charity.address, true)).wait();
      await networkHelpers.time.setNextBlockTimestamp(f.deadline0);

      const tx = await f.vault.connect(f.keeper).slash(1, 0);
      await expect(tx).to.emit(f.vault, "MilestoneSlashed").withArgs(1, 0, f.charity.address, TOKEN_SHARE);
      await expect(tx).to.emit(f.vault, "Credited").withArgs(f.charity.address, f.tokenAddress, TOKEN_SHARE);
      expect(await f.vault.milestoneState(1, 0)).to.equal(SLASHED);
      expect(await f.vault.credits(f.charity.address, f.tokenAddress)).to.equal(TOKEN_SHARE);

      await expect(f.vault.connect(f.keeper).withdrawFor(f.charity.address, f.tokenAddress))
        .to.be.revertedWithCustomError(f.vault, "PayoutFailed")
        .withArgs(f.charity.address, f.tokenAddress, TOKEN_SHARE);
      await (await f.token.setBlocked(f.charity.address, false)).wait();
      await expect(
        f.vault.connect(f.keeper).withdrawFor(f.charity.address, f.tokenAddress),
      ).to.changeTokenBalance(ethers, f.token, f.charity, TOKEN_SHARE);
      expect(await f.vault.credits(f.charity.address, f.tokenAddress)).to.equal(0n);
    });

    it("does not let an ETH owner that rejects payments block a claim: the share is credited", async () => {
      const f = await networkHelpers.loadFixture(revertingReceiverFixture);
      expect((await f.vault.getCommitment(1)).owner).to.equal(f.receiverAddress);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil);

      const tx = await f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs);
      await expect(tx)
        .to.emit(f.vault, "MilestoneReleased")
        .withArgs(1, 0, f.receiverAddress, ETH_SHARE, EVIDENCE_HASH);
      await expect(tx).to.emit(f.vault, "Credited").withArgs(f.receiverAddress, ZERO_ADDRESS, ETH_SHARE);
      await expect(tx).to.changeEtherBalances(ethers, [f.receiverAddress, f.vaultAddress], [0n, 0n]);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.credits(f.receiverAddress, ZERO_ADDRESS)).to.equal(ETH_SHARE);

      const withdrawData = f.vault.interface.encodeFunctionData("withdraw", [ZERO_ADDRESS]);
      await expect(f.receiver.execute(f.vaultAddress, withdrawData))
        .to.be.revertedWithCustomError(f.vault, "PayoutFailed")
        .withArgs(f.receiverAddress, ZERO_ADDRESS, ETH_SHARE);
      await expect(f.vault.connect(f.keeper).withdrawFor(f.receiverAddress, ZERO_ADDRESS))
        .to.be.revertedWithCustomError(f.vault, "PayoutFailed")
        .withArgs(f.receiverAddress, ZERO_ADDRESS, ETH_SHARE);
      expect(await f.vault.credits(f.receiverAddress, ZERO_ADDRESS)).to.equal(ETH_SHARE);

      await (await f.receiver.setRejecting(false)).wait();
      const withdrawal = await f.receiver.execute(f.vaultAddress, withdrawData);
      await expect(withdrawal)
        .to.emit(f.vault, "Withdrawn")
        .withArgs(f.receiverAddress, ZERO_ADDRESS, ETH_SHARE);
      await expect(withdrawal).to.changeEtherBalances(
        ethers,
        [f.receiverAddress, f.vaultAddress],
        [ETH_SHARE, -ETH_SHARE],
      );
      expect(await f.vault.credits(f.receiverAddress, ZERO_ADDRESS)).to.equal(0n);
    });

    it("creates with a permit that an attacker front-ran", async () => {
      const f = await networkHelpers.loadFixture(vaultFixture);
      const vaultAddress = await f.vault.getAddress();
      const usdcAddress = await f.usdc.getAddress();
      const amount = 200n * 10n ** 6n;
      const start = (await networkHelpers.time.latest()) + DAY;
      const deadline = start;
      const p = params(start, f.charity.address, { token: usdcAddress, amount });
      const domainFields = await f.usdc.eip712Domain();
      const nonce = await f.usdc.nonces(f.alice.address);
      const signature = await f.alice.signTypedData(
        {
          name: domainFields.name,
          version: domainFields.version,
          chainId: domainFields.chainId,
          verifyingContract: domainFields.verifyingContract,
        },
        {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        { owner: f.alice.address, spender: vaultAddress, value: amount, nonce, deadline },
      );
      const { v, r, s } = ethers.Signature.from(signature);

      // The attacker lifts the permit from the mempool and submits it first.
      await (
        await f.usdc.connect(f.outsider).permit(f.alice.address, vaultAddress, amount, deadline, v, r, s)
      ).wait();
      expect(await f.usdc.nonces(f.alice.address)).to.equal(nonce + 1n);
      expect(await f.usdc.allowance(f.alice.address, vaultAddress)).to.equal(amount);

      const tx = await f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, v, r, s);
      await expect(tx)
        .to.emit(f.vault, "CommitmentCreated")
        .withArgs(
          1,
          f.alice.address,
          usdcAddress,
          amount,
          start,
          WEEK,
          8,
          2 * DAY,
          f.charity.address,
          p.rulesHash,
        );
      await expect(tx).to.changeTokenBalances(ethers, f.usdc, [f.alice, f.vault], [-amount, amount]);
      expect(await f.usdc.allowance(f.alice.address, vaultAddress)).to.equal(0n);
      expect((await f.vault.getCommitment(1)).owner).to.equal(f.alice.address);

      // With the permit spent and no allowance left, the same call fails in the token's transferFrom.
      await expect(f.vault.connect(f.alice).createCommitmentWithPermit(p, deadline, v, r, s))
        .to.be.revertedWithCustomError(f.usdc, "ERC20InsufficientAllowance")
        .withArgs(vaultAddress, 0n, amount);
      expect(await f.vault.commitmentCount()).to.equal(1n);
    });
  });
  describe("a payee that burns all the gas it receives", () => {
    it("cannot make a claim need more than an ordinary gas limit: the share is credited", async () => {
      const f = await networkHelpers.loadFixture(gasGuzzlerFixture);
      await networkHelpers.time.increaseTo(f.start + 1);
      const validUntil = f.start + DAY;
      const sigs = await attest(f, 1, 0, validUntil);
      // 300k gas: far below what forwarding all gas to the guzzler would need (63/64 of it burnt).
      const tx = await f.vault
        .connect(f.keeper)
        .claimMilestone(1, 0, EVIDENCE_HASH, validUntil, sigs, { gasLimit: 300_000 });
      await expect(tx)
        .to.emit(f.vault, "Credited")
        .withArgs(f.receiverAddress, ethers.ZeroAddress, ETH_SHARE);
      const receipt = await tx.wait();
      expect(receipt?.gasUsed).to.be.lessThan(300_000n);
      expect(await f.vault.credits(f.receiverAddress, ethers.ZeroAddress)).to.equal(ETH_SHARE);
      expect(await f.vault.milestoneState(1, 0)).to.equal(RELEASED);
      expect(await f.vault.PUSH_GAS()).to.equal(100_000n);
    });
  });
});
