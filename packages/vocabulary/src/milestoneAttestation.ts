/**
 * An oracle's milestone attestation as viem typed data: what `CommitmentVault.claimMilestone` verifies
 * (`ATTESTATION_TYPEHASH`, EIP-712 domain "ResolutionAutopilot"/"1"). The agent signs it, the relayer and the web
 * app recover its signer, and the digest equals the vault's `hashAttestation`.
 */
import { type Address, type Hex, hexToBigInt } from "viem";

/** The vault's EIP-712 domain name and version (`EIP712("ResolutionAutopilot", "1")` in its constructor). */
export const ATTESTATION_DOMAIN = { name: "ResolutionAutopilot", version: "1" } as const;

/** The EIP-712 types of a milestone attestation: field for field the vault's `ATTESTATION_TYPEHASH`. */
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
  /** The vault's address: the domain's `verifyingContract`. */
  vault: Address;
  commitmentId: bigint;
  milestoneIndex: bigint;
  /** The commitment's on-chain rulesHash. */
  rulesHash: Hex;
  evidenceHash: Hex;
  /** Unix seconds. */
  validUntil: bigint;
}

/** The typed data an oracle signs for a milestone (pass it to `signTypedData` or `recoverTypedDataAddress`). */
export function milestoneAttestationTypedData(p: MilestoneAttestationParameters) {
  return {
    domain: { ...ATTESTATION_DOMAIN, chainId: p.chainId, verifyingContract: p.vault },
    types: MILESTONE_ATTESTATION_TYPES,
    primaryType: "MilestoneAttestation",
    message: {
      commitmentId: p.commitmentId,
      milestoneIndex: p.milestoneIndex,
      rulesHash: p.rulesHash,
      evidenceHash: p.evidenceHash,
      validUntil: p.validUntil,
    },
  } as const;
}

/** Half the secp256k1 order: the vault (OpenZeppelin ECDSA) rejects signatures whose s lies above it. */
export const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** True when a 65-byte signature's s is above half the order, so the vault would reject it. */
export function hasHighS(signature: Hex): boolean {
  return hexToBigInt(`0x${signature.slice(66, 130)}`) > SECP256K1_HALF_N;
}
