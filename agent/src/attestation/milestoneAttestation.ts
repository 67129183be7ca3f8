import {
  hasHighS,
  type MilestoneAttestationParameters,
  milestoneAttestationTypedData,
} from "@resolution-autopilot/vocabulary";
import {
  type Address,
  encodePacked,
  type Hex,
  hashTypedData,
  hexToBigInt,
  keccak256,
  recoverTypedDataAddress,
} from "viem";
import { DependencyError } from "../errors.ts";
import type { AttestationSigner } from "./signer.ts";

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
  const typedData = milestoneAttestationTypedData(p);
  const signature = await signer.signTypedData(typedData);
  if (signature.length !== 132 || hasHighS(signature)) {
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
