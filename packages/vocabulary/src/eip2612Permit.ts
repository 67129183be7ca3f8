/**
 * EIP-2612 permits as viem typed data: what an owner signs off chain so that `spender` may pull `value` of the
 * token in the same transaction that uses it (the vault's `createCommitmentWithPermit`, the pool's
 * `joinWithPermit`). The web app's wallet flow and the demo sign the same structure.
 */
import type { Address } from "viem";

/** The EIP-712 types of an EIP-2612 permit. */
export const EIP2612_PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

export interface Eip2612PermitParameters {
  /** The token's EIP-712 domain: its `eip712Domain()` name and version, the chain and its address. */
  token: { name: string; version: string; chainId: number; address: Address };
  owner: Address;
  spender: Address;
  value: bigint;
  /** The owner's current `nonces(owner)`. */
  nonce: bigint;
  /** Unix seconds. */
  deadline: bigint;
}

/** The typed data an owner signs for an EIP-2612 permit (pass it to `signTypedData`). */
export function eip2612PermitTypedData({ token, ...message }: Eip2612PermitParameters) {
  return {
    domain: {
      name: token.name,
      version: token.version,
      chainId: token.chainId,
      verifyingContract: token.address,
    },
    types: EIP2612_PERMIT_TYPES,
    primaryType: "Permit",
    message,
  } as const;
}
