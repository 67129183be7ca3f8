/**
 * An oracle agent's attestation is only as good as its signature: the `signer` it names is its own claim. Before a
 * signature counts towards a quorum, the app recovers the EIP-712 signer over exactly what the vault will hash
 * (`CommitmentVault._attestationDigest`: domain "ResolutionAutopilot"/"1", the commitment's on-chain rulesHash) and
 * rejects high-s signatures (the vault's `_recover` does). So a broken or malicious agent that names another
 * oracle as its signer cannot displace that oracle's real signature, nor get a transaction sent that must revert.
 */
import { type Address, type Hex, hexToBigInt, recoverTypedDataAddress } from "viem";
import type { Attestation } from "../api/schemas.ts";

const ATTESTATION_TYPES = {
  MilestoneAttestation: [
    { name: "commitmentId", type: "uint256" },
    { name: "milestoneIndex", type: "uint256" },
    { name: "rulesHash", type: "bytes32" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "validUntil", type: "uint64" },
  ],
} as const;

/** secp256k1 n / 2: a larger s is rejected by the vault. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

export interface AttestationContext {
  chainId: number;
  vault: Address;
  rulesHash: Hex;
}

/** True when `att.signature` is a 65-byte low-s signature by `att.signer` over this commitment's attestation. */
export async function isGenuineAttestation(context: AttestationContext, att: Attestation): Promise<boolean> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(att.signature)) return false;
  if (hexToBigInt(`0x${att.signature.slice(66, 130)}`) > HALF_N) return false;
  try {
    const recovered = await recoverTypedDataAddress({
      domain: {
        name: "ResolutionAutopilot",
        version: "1",
        chainId: context.chainId,
        verifyingContract: context.vault,
      },
      types: ATTESTATION_TYPES,
      primaryType: "MilestoneAttestation",
      message: {
        commitmentId: att.commitmentId,
        milestoneIndex: att.milestoneIndex,
        rulesHash: context.rulesHash,
        evidenceHash: att.evidenceHash,
        validUntil: att.validUntil,
      },
      signature: att.signature,
    });
    return recovered.toLowerCase() === att.signer.toLowerCase();
  } catch {
    return false;
  }
}
