/**
 * Hands out the operator account's nonces in-process, one at a time (the caller serialises sends). The pending
 * count is read from the chain at first use and after any failure (`resync`); nonces of transactions being
 * resumed are kept out of reach (`reserveBelow`), since the node may not count them as pending yet.
 */
import type { Address } from "viem";
import type { ChainClient } from "./chainClient.ts";
import { rpcFailure } from "./chainErrors.ts";

export interface NonceManager {
  /** The nonce to sign the next transaction with (reads the chain's pending count when not known). */
  next(): Promise<number>;
  /** `nonce` was broadcast: the next one follows it. */
  used(nonce: number): void;
  /** A send failed: read the pending count from the chain again before the next one. */
  resync(): void;
  /**
   * Another sender on this key may have sent since (the send lease was just taken): read the pending count again,
   * but never go below what this process handed out itself (a transaction "maybe sent" in transit may be missing
   * from the node's count; signing its nonce again would make one of the two fail).
   */
  refresh(): void;
  /** Never hand out a nonce below `floor` (a resumed transaction holds `floor - 1`). */
  reserveBelow(floor: number): void;
}

export function createNonceManager({
  client,
  address,
}: {
  client: Pick<ChainClient, "getTransactionCount">;
  address: Address;
}): NonceManager {
  let nextNonce: number | undefined;
  /** Nonces below this belong to transactions being resumed (maybe not yet in the node's pending count). */
  let nonceFloor = 0;
  let refreshing = false;
  return {
    async next() {
      if (nextNonce === undefined || refreshing) {
        try {
          const pending = await client.getTransactionCount({ address, blockTag: "pending" });
          nextNonce = Math.max(pending, nonceFloor, refreshing ? (nextNonce ?? 0) : 0);
          refreshing = false;
        } catch (error) {
          throw rpcFailure("nonce lookup", error);
        }
      }
      return nextNonce;
    },
    used(nonce) {
      nextNonce = nonce + 1;
    },
    resync() {
      nextNonce = undefined;
      refreshing = false;
    },
    refresh() {
      refreshing = true;
    },
    reserveBelow(floor) {
      nonceFloor = Math.max(nonceFloor, floor);
      if (nextNonce !== undefined) nextNonce = Math.max(nextNonce, nonceFloor);
    },
  };
}
