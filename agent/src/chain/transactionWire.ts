/**
 * The sender's contact with the chain for one operator account: the network's current EIP-1559 fees, signing
 * (the key never leaves the process), broadcasting (an "already known" answer is success) and finding the
 * receipt of any hash signed for a nonce.
 */
import { type Hex, keccak256, type LocalAccount } from "viem";
import type { Logger } from "../logger.ts";
import { inSpan } from "../telemetry/spans.ts";
import type { ChainClient } from "./chainClient.ts";
import { isAlreadyKnown, rpcFailure } from "./chainErrors.ts";
import type { Fees, Tracked } from "./trackedTransaction.ts";

export interface CreateTransactionWireParameters {
  client: Pick<ChainClient, "estimateFeesPerGas" | "sendRawTransaction" | "getTransactionReceipt">;
  account: LocalAccount;
  chainId: number;
  log: Logger;
}

export interface TransactionWire {
  /** The network's fees now (DependencyError when the RPC fails or has no EIP-1559 fees). */
  currentFees(): Promise<Fees>;
  sign(tracked: Omit<Tracked, "hashes" | "raw">): Promise<{ raw: Hex; hash: Hex }>;
  /** Sends a signed transaction, in a `chain.tx.send` span; the node already knowing it is fine. */
  broadcast(raw: Hex): Promise<void>;
  /** The receipt of any of the hashes (newest first), or null when none is mined yet or the RPC failed. */
  findReceipt(
    hashes: readonly Hex[],
  ): Promise<{ hash: Hex; receipt: Awaited<ReturnType<ChainClient["getTransactionReceipt"]>> } | null>;
}

export function createTransactionWire({
  client,
  account,
  chainId,
  log,
}: CreateTransactionWireParameters): TransactionWire {
  return {
    async currentFees() {
      try {
        const fees = await client.estimateFeesPerGas();
        if (fees.maxFeePerGas === undefined || fees.maxPriorityFeePerGas === undefined) {
          throw new Error("the chain did not report EIP-1559 fees");
        }
        return { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
      } catch (error) {
        throw rpcFailure("fee estimation", error);
      }
    },

    async sign(tracked) {
      const raw = await account.signTransaction({
        chainId,
        type: "eip1559",
        to: tracked.to,
        data: tracked.data,
        value: tracked.value,
        gas: tracked.gas,
        nonce: tracked.nonce,
        maxFeePerGas: tracked.fees.maxFeePerGas,
        maxPriorityFeePerGas: tracked.fees.maxPriorityFeePerGas,
      });
      return { raw, hash: keccak256(raw) };
    },

    broadcast: (raw) =>
      inSpan(
        "chain.tx.send",
        { "chain.id": chainId, "tx.hash": keccak256(raw) },
        async () => {
          try {
            await client.sendRawTransaction({ serializedTransaction: raw });
          } catch (error) {
            if (!isAlreadyKnown(error)) throw error;
          }
        },
        { kind: "client" },
      ),

    async findReceipt(hashes) {
      for (const hash of [...hashes].reverse()) {
        try {
          return { hash, receipt: await client.getTransactionReceipt({ hash }) };
        } catch (error) {
          if ((error as { name?: unknown }).name !== "TransactionReceiptNotFoundError") {
            log.debug({ err: error, hash }, "receipt check failed; retrying");
          }
        }
      }
      return null;
    },
  };
}
