/**
 * A transaction the sender follows until it is mined (`Tracked`), how it is written to its
 * `chain_transactions` rows (`details.tx`, enough to check, rebroadcast or bump it after a restart) and the
 * outcome it ends with. Shared by the sender, its fee bumper and its monitor.
 */
import type { Address, Hex, Log } from "viem";
import { z } from "zod";
import type { TransactionOutcome, TransactionOutcomeStatus } from "./transactionTypes.ts";

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** A transaction being followed until it is mined. */
export interface Tracked {
  rowIds: string[];
  operation: string;
  to: Address;
  data: Hex;
  value: bigint;
  gas: bigint;
  nonce: number;
  fees: Fees;
  hashes: Hex[];
  raw: Hex;
  /** Clock time of the latest broadcast. */
  lastSentAt: number;
  bumps: number;
  attempts: number;
}

export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
export const hexSchema = z.string().regex(/^0x([0-9a-fA-F]{2})*$/);
const hashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const weiSchema = z
  .string()
  .regex(/^[0-9]{1,78}$/)
  .transform((value) => BigInt(value));

/** What a row's `details.tx` holds: enough to check, rebroadcast or bump the transaction after a restart. */
export const sentDetailsSchema = z.object({
  operation: z.string().min(1).max(200),
  to: addressSchema,
  data: hexSchema,
  value: weiSchema,
  gas: weiSchema,
  nonce: z.number().int().min(0),
  maxFeePerGas: weiSchema,
  maxPriorityFeePerGas: weiSchema,
  /** Every hash signed for this nonce, oldest first. */
  hashes: z.array(hashSchema).min(1).max(64),
  /** The latest signed transaction. */
  raw: hexSchema,
});

/** The row details recording `tracked` (written before each broadcast). */
export const detailsOf = (tracked: Tracked) => ({
  tx: {
    operation: tracked.operation,
    to: tracked.to,
    data: tracked.data,
    value: tracked.value.toString(),
    gas: tracked.gas.toString(),
    nonce: tracked.nonce,
    maxFeePerGas: tracked.fees.maxFeePerGas.toString(),
    maxPriorityFeePerGas: tracked.fees.maxPriorityFeePerGas.toString(),
    hashes: tracked.hashes,
    raw: tracked.raw,
  },
});

export const outcomeOf = (
  tracked: Tracked,
  status: TransactionOutcomeStatus,
  minedHash: Hex | null,
  error: string | null,
  blockNumber: bigint | null = null,
  logs: readonly Log[] = [],
): TransactionOutcome => ({
  status,
  txHash: minedHash ?? tracked.hashes.at(-1) ?? null,
  nonce: tracked.nonce,
  blockNumber,
  attempts: tracked.attempts,
  error,
  logs,
});

/** A short text for an RPC or signing failure (viem's short message and details when it has them). */
export function errorText(error: unknown): string {
  const e = error as { shortMessage?: unknown; details?: unknown; message?: unknown };
  const text = [e.shortMessage, e.details].filter((m) => typeof m === "string").join(": ");
  return (text !== "" ? text : String(e.message ?? error)).slice(0, 500);
}
