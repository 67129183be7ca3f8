import {
  type Address,
  encodePacked,
  type Hex,
  hashTypedData,
  hexToBigInt,
  keccak256,
  recoverTypedDataAddress,
  type TypedDataDefinition,
} from "viem";
import { DependencyError } from "../errors.ts";
import type { AttestationSigner } from "./signer.ts";

/** The EIP-712 types the vault verifies (PRODUCT.md; identical to CommitmentVault.ATTESTATION_TYPEHASH). */
export const MILESTONE_ATTESTATION_TYPES = {
  MilestoneAttestation: [
    { name: "commitmentId", type: "uint256" },
    { name: "milestoneIndex", type: "uint256" },
    { name: "rulesHash", type: "bytes32" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "validUntil", type: "uint64" },
  ],
} as const;

export interface MilestoneAttestationParameters {
  chainId: number;
  vault: Address;
  commitmentId: bigint;
  milestoneIndex: bigint;
  rulesHash: Hex;
  evidenceHash: Hex;
  validUntil: bigint;
}

export interface SignedMilestoneAttestation {
  commitmentId: bigint;
  milestoneIndex: bigint;
  evidenceHash: Hex;
  validUntil: bigint;
  signer: Address;
  signature: Hex;
  /** The EIP-712 digest: equals `vault.hashAttestation(commitmentId, milestoneIndex, evidenceHash, validUntil)`. */
  digest: Hex;
}

/** half the secp256k1 order: the vault (OpenZeppelin ECDSA) rejects signatures with s above it. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

export function milestoneTypedData(p: MilestoneAttestationParameters): TypedDataDefinition {
  return {
    domain: { name: "ResolutionAutopilot", version: "1", chainId: p.chainId, verifyingContract: p.vault },
    types: MILESTONE_ATTESTATION_TYPES,
    primaryType: "MilestoneAttestation",
    message: {
      commitmentId: p.commitmentId,
      milestoneIndex: p.milestoneIndex,
      rulesHash: p.rulesHash,
      evidenceHash: p.evidenceHash,
      validUntil: p.validUntil,
    },
  } as TypedDataDefinition;
}

/**
 * `evidenceHash` for a window: keccak256 over the qualifying workouts' content hashes, sorted ascending and
 * de-duplicated, packed as bytes32[] (so the same set of workouts always gives the same hash).
 */
export function evidenceHash(contentHashes: readonly Hex[]): Hex {
  const sorted = [...new Set(contentHashes.map((h) => h.toLowerCase() as Hex))].sort((a, b) =>
    hexToBigInt(a) < hexToBigInt(b) ? -1 : 1,
  );
  return keccak256(encodePacked(["bytes32[]"], [sorted]));
}

/** Signs a milestone attestation and checks the result is exactly what the vault will accept. */
export async function signMilestoneAttestation(
  signer: AttestationSigner,
  p: MilestoneAttestationParameters,
): Promise<SignedMilestoneAttestation> {
  const typedData = milestoneTypedData(p);
  const signature = await signer.signTypedData(typedData);
  const s = hexToBigInt(`0x${signature.slice(66, 130)}`);
  if (signature.length !== 132 || s > HALF_N) {
    throw new DependencyError({
      code: "signer_bad_signature",
      message: "the oracle signer returned a signature the vault would reject (not 65 bytes, or high s)",
      details: { signer: signer.address },
    });
  }
  const recovered = await recoverTypedDataAddress({ ...typedData, signature });
  if (recovered.toLowerCase() !== signer.address.toLowerCase()) {
    throw new DependencyError({
      code: "signer_wrong_key",
      message: `the signature recovers to ${recovered}, not the oracle ${signer.address}`,
      details: { signer: signer.address, recovered },
    });
  }
  return {
    commitmentId: p.commitmentId,
    milestoneIndex: p.milestoneIndex,
    evidenceHash: p.evidenceHash,
    validUntil: p.validUntil,
    signer: signer.address,
    signature,
    digest: hashTypedData(typedData),
  };
}
