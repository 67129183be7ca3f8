import { MILESTONE_ATTESTATION_TYPES } from "@resolution-autopilot/vocabulary";
import { expect } from "chai";
import { HDNodeWallet, TypedDataEncoder } from "ethers";
import { network } from "hardhat";
import {
  getAddress,
  type Hex,
  hashTypedData,
  keccak256,
  recoverTypedDataAddress,
  toHex,
  zeroHash,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  ATTESTATION_TYPES,
  DAY,
  EVIDENCE_HASH,
  makeVaultFixture,
  params,
  RULES_HASH,
  sortByAddress,
  WEEK,
} from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

/** The signed type, verbatim from PRODUCT.md. */
const ATTESTATION_TYPE_STRING =
  "MilestoneAttestation(uint256 commitmentId,uint256 milestoneIndex,bytes32 rulesHash,bytes32 evidenceHash,uint64 validUntil)";
const MAX_UINT64 = 2n ** 64n - 1n;
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** Three rules documents, so that a digest taking rulesHash from the wrong place would show. */
const RULES_HASHES: Hex[] = [
  RULES_HASH as Hex,
  keccak256(
    toHex(
      '{"evidence":"device","perMilestone":{"activities":["run","ride","strength"],"minMinutes":30,"minWorkouts":3},"timezone":"Europe/Berlin","version":1}',
    ),
  ),
  keccak256(toHex("rules #3")),
];

const vaultFixture = makeVaultFixture(ethers);

/**
 * Three commitments by alice, each with its own rulesHash: ids 1 and 2 are 8 weekly milestones, id 3 has the
 * maximum of 104 hourly milestones.
 */
async function digestFixture() {
  const f = await vaultFixture();
  const start = (await networkHelpers.time.latest()) + DAY;
  const shapes = [{}, {}, { period: 3600, milestones: 104 }];
  for (const [i, shape] of shapes.entries()) {
    const p = params(start, f.charity.address, { rulesHash: RULES_HASHES[i], ...shape });
    await (await f.vault.connect(f.alice).createCommitment(p, { value: p.amount })).wait();
  }
  const { chainId } = await ethers.provider.getNetwork();
  const verifyingContract = getAddress(await f.vault.getAddress());
  const domain = { name: "ResolutionAutopilot", version: "1", chainId, verifyingContract };
  return { ...f, start, chainId, verifyingContract, domain };
}

/** The viem message for (id, index, evidenceHash, validUntil), with rulesHash read from the stored commitment. */
async function viemMessage(
  vault: Awaited<ReturnType<typeof digestFixture>>["vault"],
  id: bigint,
  index: bigint,
  evidenceHash: Hex,
  validUntil: bigint,
) {
  const { rulesHash } = await vault.getCommitment(id);
  return {
    commitmentId: id,
    milestoneIndex: index,
    rulesHash: rulesHash as Hex,
    evidenceHash,
    validUntil,
  };
}

describe("CommitmentVault: EIP-712 digest", () => {
  it("stores each commitment's own rulesHash", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    for (const [i, rulesHash] of RULES_HASHES.entries()) {
      expect((await f.vault.getCommitment(i + 1)).rulesHash).to.equal(rulesHash);
    }
    expect(new Set(RULES_HASHES).size).to.equal(3);
  });

  it("hashAttestation matches viem's hashTypedData for several attestations", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    const tuples: Array<[bigint, bigint, Hex, bigint]> = [
      [1n, 0n, EVIDENCE_HASH as Hex, BigInt(f.start + DAY)],
      [1n, 7n, zeroHash, 0n],
      [2n, 0n, EVIDENCE_HASH as Hex, BigInt(f.start + DAY)],
      [2n, 3n, keccak256(toHex("workouts 2026-W48")), MAX_UINT64],
      [3n, 0n, `0x${"ff".repeat(32)}`, 1n],
      [3n, 103n, keccak256(toHex("last window")), BigInt(f.start + 104 * 3600)],
    ];
    const digests = new Set<string>();
    for (const [id, index, evidenceHash, validUntil] of tuples) {
      const message = await viemMessage(f.vault, id, index, evidenceHash, validUntil);
      const expected = hashTypedData({
        domain: f.domain,
        types: MILESTONE_ATTESTATION_TYPES,
        primaryType: "MilestoneAttestation",
        message,
      });
      const onChain = await f.vault.hashAttestation(id, index, evidenceHash, validUntil);
      expect(onChain, `digest of (${id}, ${index})`).to.equal(expected);
      // ethers' independent EIP-712 implementation agrees as well.
      expect(onChain).to.equal(TypedDataEncoder.hash(f.domain, ATTESTATION_TYPES, message));
      digests.add(onChain);
    }
    expect(digests.size).to.equal(tuples.length);
  });

  it("hashAttestation takes rulesHash from storage: equal arguments on two commitments give different digests", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    const validUntil = BigInt(f.start + DAY);
    const onOne = await f.vault.hashAttestation(1, 0, EVIDENCE_HASH, validUntil);
    // Commitment 1's digest computed with commitment 2's rulesHash is not commitment 1's digest.
    const wrongRules = hashTypedData({
      domain: f.domain,
      types: MILESTONE_ATTESTATION_TYPES,
      primaryType: "MilestoneAttestation",
      message: {
        commitmentId: 1n,
        milestoneIndex: 0n,
        rulesHash: RULES_HASHES[1] as Hex,
        evidenceHash: EVIDENCE_HASH as Hex,
        validUntil,
      },
    });
    expect(onOne).to.not.equal(wrongRules);
    expect(onOne).to.not.equal(await f.vault.hashAttestation(2, 0, EVIDENCE_HASH, validUntil));
  });

  it("reverts when hashAttestation is asked about a commitment that does not exist", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    await expect(f.vault.hashAttestation(4, 0, EVIDENCE_HASH, 0))
      .to.be.revertedWithCustomError(f.vault, "CommitmentNotFound")
      .withArgs(4);
  });

  it("ATTESTATION_TYPEHASH is keccak256 of the type string in PRODUCT.md", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    expect(await f.vault.ATTESTATION_TYPEHASH()).to.equal(keccak256(toHex(ATTESTATION_TYPE_STRING)));
    // The helper's typed-data definition encodes to exactly that string.
    expect(TypedDataEncoder.from(ATTESTATION_TYPES).encodeType("MilestoneAttestation")).to.equal(
      ATTESTATION_TYPE_STRING,
    );
  });

  it("eip712Domain returns the specified name, version, chain id and verifying contract", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    const d = await f.vault.eip712Domain();
    expect(d.fields).to.equal("0x0f");
    expect(d.name).to.equal("ResolutionAutopilot");
    expect(d.version).to.equal("1");
    expect(d.chainId).to.equal(f.chainId);
    expect(d.chainId).to.equal(31337n);
    expect(getAddress(d.verifyingContract)).to.equal(f.verifyingContract);
    expect(d.salt).to.equal(zeroHash);
    expect(d.extensions).to.deep.equal([]);
  });

  it("accepts a claim signed with viem by a fresh oracle", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    const account = privateKeyToAccount(generatePrivateKey());
    await expect(f.vault.connect(f.admin).setOracles([account.address], 1))
      .to.emit(f.vault, "OraclesUpdated")
      .withArgs([account.address], 1);
    await networkHelpers.time.increaseTo(f.start + 1);
    const validUntil = BigInt(f.start + DAY);
    const message = await viemMessage(f.vault, 1n, 0n, EVIDENCE_HASH as Hex, validUntil);
    const signature = await account.signTypedData({
      domain: f.domain,
      types: MILESTONE_ATTESTATION_TYPES,
      primaryType: "MilestoneAttestation",
      message,
    });
    expect(
      await recoverTypedDataAddress({
        domain: f.domain,
        types: MILESTONE_ATTESTATION_TYPES,
        primaryType: "MilestoneAttestation",
        message,
        signature,
      }),
    ).to.equal(account.address);
    const share = await f.vault.milestoneAmount(1, 0);

    const tx = await f.vault.connect(f.keeper).claimMilestone(1, 0, EVIDENCE_HASH, validUntil, [signature]);
    await expect(tx)
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(1, 0, f.alice.address, share, EVIDENCE_HASH);
    await expect(tx).to.changeEtherBalance(ethers, f.alice, share);
    expect(await f.vault.milestoneState(1, 0)).to.equal(1n);
  });

  it("accepts a 2-of-3 claim signed with viem by the fixture's oracles (Hardhat mnemonic keys)", async () => {
    const f = await networkHelpers.loadFixture(digestFixture);
    const keys = new Map<string, Hex>();
    for (let i = 0; i < 20; i++) {
      const wallet = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
      keys.set(wallet.address, wallet.privateKey as Hex);
    }
    const accounts = sortByAddress(
      f.oracles.slice(1, 3).map((o) => {
        const key = keys.get(o.address);
        if (key === undefined) throw new Error(`no mnemonic key for oracle ${o.address}`);
        return privateKeyToAccount(key);
      }),
    );
    expect(accounts.map((a) => a.address)).to.deep.equal(
      sortByAddress(f.oracles.slice(1, 3)).map((o) => o.address),
    );
    await networkHelpers.time.increaseTo(f.start + WEEK + 1);
    const validUntil = BigInt(f.start + 2 * WEEK);
    const evidenceHash = keccak256(toHex("week 2 workouts"));
    const message = await viemMessage(f.vault, 2n, 1n, evidenceHash, validUntil);
    const signatures = await Promise.all(
      accounts.map((a) =>
        a.signTypedData({
          domain: f.domain,
          types: MILESTONE_ATTESTATION_TYPES,
          primaryType: "MilestoneAttestation",
          message,
        }),
      ),
    );
    const share = await f.vault.milestoneAmount(2, 1);

    const tx = await f.vault.connect(f.keeper).claimMilestone(2, 1, evidenceHash, validUntil, signatures);
    await expect(tx)
      .to.emit(f.vault, "MilestoneReleased")
      .withArgs(2, 1, f.alice.address, share, evidenceHash);
    await expect(tx).to.changeEtherBalance(ethers, f.alice, share);
    expect(await f.vault.milestoneState(2, 1)).to.equal(1n);
  });
});
