/**
 * An oracle agent's attestation is only as good as its signature: the `signer` it names is its own claim. Before a
 * signature counts towards a quorum, the app recovers the EIP-712 signer over exactly what the vault will hash
 * (`CommitmentVault._attestationDigest`: domain "ResolutionAutopilot"/"1", the commitment's on-chain rulesHash) and
 * rejects high-s signatures (the vault's `_recover` does). So a broken or malicious agent that names another
 * oracle as its signer cannot displace that oracle's real signature, nor get a transaction sent that must revert.
 */
import { hasHighS, milestoneAttestationTypedData } from "@resolution-autopilot/vocabulary";
import { type Address, type Hex, recoverTypedDataAddress } from "viem";
import type { Attestation } from "../api/schemas.ts";

export interface AttestationContext {
  chainId: number;
  vault: Address;
  rulesHash: Hex;
}

/** True when `att.signature` is a 65-byte low-s signature by `att.signer` over this commitment's attestation. */
export async function isGenuineAttestation(context: AttestationContext, att: Attestation): Promise<boolean> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(att.signature)) return false;
  if (hasHighS(att.signature)) return false;
  try {
    const recovered = await recoverTypedDataAddress({
      ...milestoneAttestationTypedData({
        chainId: context.chainId,
        vault: context.vault,
        commitmentId: att.commitmentId,
        milestoneIndex: att.milestoneIndex,
        rulesHash: context.rulesHash,
        evidenceHash: att.evidenceHash,
        validUntil: att.validUntil,
      }),
      signature: att.signature,
    });
    return recovered.toLowerCase() === att.signer.toLowerCase();
  } catch {
    return false;
  }
}
