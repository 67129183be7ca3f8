import { readFileSync } from "node:fs";
import { expect } from "chai";
import { encodeAbiParameters, type Hex, hashStruct, keccak256, recoverTypedDataAddress, toBytes } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  ATTESTATION_DOMAIN,
  hasHighS,
  MILESTONE_ATTESTATION_TYPES,
  milestoneAttestationTypedData,
  SECP256K1_HALF_N,
} from "../src/milestoneAttestation.ts";

/** The vault's source: its ATTESTATION_TYPEHASH string and EIP712 domain are what the typed data must match. */
const VAULT_SOURCE = readFileSync(new URL("../../../contracts/CommitmentVault.sol", import.meta.url), "utf8");

function solidityMatch(pattern: RegExp): RegExpMatchArray {
  const match = VAULT_SOURCE.match(pattern);
  if (!match) throw new Error(`CommitmentVault.sol no longer matches ${pattern}`);
  return match;
}

const oracle = privateKeyToAccount(`0x${"22".repeat(32)}`);
const attestation = {
  chainId: 31337,
  vault: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  commitmentId: 7n,
  milestoneIndex: 3n,
  rulesHash: `0x${"ab".repeat(32)}`,
  evidenceHash: `0x${"cd".repeat(32)}`,
  validUntil: 2_000_000_000n,
} as const;

describe("milestone attestation typed data", () => {
  it("hashes the message as the vault's ATTESTATION_TYPEHASH struct", () => {
    const [, typeString] = solidityMatch(/ATTESTATION_TYPEHASH\s*=\s*keccak256\(\s*"([^"]+)"/);
    const expected = keccak256(
      encodeAbiParameters(
        [
          { type: "bytes32" },
          { type: "uint256" },
          { type: "uint256" },
          { type: "bytes32" },
          { type: "bytes32" },
          { type: "uint64" },
        ],
        [
          keccak256(toBytes(typeString ?? "")),
          attestation.commitmentId,
          attestation.milestoneIndex,
          attestation.rulesHash,
          attestation.evidenceHash,
          attestation.validUntil,
        ],
      ),
    );
    const typed = milestoneAttestationTypedData(attestation);
    expect(
      hashStruct({
        data: typed.message,
        primaryType: "MilestoneAttestation",
        types: MILESTONE_ATTESTATION_TYPES,
      }),
    ).to.equal(expected);
  });

  it("uses the vault's EIP-712 domain and signs so that the oracle is recovered", async () => {
    const [, name, version] = solidityMatch(/EIP712\("([^"]+)",\s*"([^"]+)"\)/);
    expect(ATTESTATION_DOMAIN).to.deep.equal({ name, version });
    const typed = milestoneAttestationTypedData({ ...attestation, extra: "ignored" } as typeof attestation);
    expect(typed.domain).to.deep.equal({
      name,
      version,
      chainId: 31337,
      verifyingContract: attestation.vault,
    });
    expect(Object.keys(typed.message)).to.deep.equal([
      "commitmentId",
      "milestoneIndex",
      "rulesHash",
      "evidenceHash",
      "validUntil",
    ]);
    const signature = await oracle.signTypedData(typed);
    expect(await recoverTypedDataAddress({ ...typed, signature })).to.equal(oracle.address);
    expect(hasHighS(signature)).to.equal(false);
  });

  it("tells a high-s signature (which the vault rejects) from its low-s twin", async () => {
    const signature = await oracle.signTypedData(milestoneAttestationTypedData(attestation));
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const n = SECP256K1_HALF_N * 2n + 1n;
    const r = signature.slice(2, 66);
    const withS = (value: bigint): Hex =>
      `0x${r}${value.toString(16).padStart(64, "0")}${signature.slice(130)}`;
    expect(hasHighS(withS(n - s))).to.equal(true);
    expect(hasHighS(withS(SECP256K1_HALF_N))).to.equal(false);
    expect(hasHighS(withS(SECP256K1_HALF_N + 1n))).to.equal(true);
  });
});
