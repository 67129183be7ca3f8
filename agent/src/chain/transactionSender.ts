/**
 * Sends the agent's transactions from one operator account (a viem local account: keys never leave the
 * process) and sees them mined:
 * - simulates first (`eth_call` + `eth_estimateGas`): a revert is a ContractRevertedError carrying the decoded
 *   custom error, and nothing is signed;
 * - nonces are handed out in-process one at a time (the pending count is read from the chain at first use and
 *   after any failure; a nonce conflict with another sender resyncs and signs again, at most twice);
 * - each signed attempt is recorded in `chain_transactions` BEFORE it is broadcast (nonce, hash and the raw
 *   transaction), so after a crash `resume` can find, rebroadcast or bump it;
 * - when not mined after `bumpAfterMs` it is replaced with the same nonce and fees x1.125 (or the network's
 *   current fees if higher), at most `maxBumps` times, then rebroadcast as is until `receiptTimeoutMs`;
 * - the outcome is written back to the rows: `confirmed`/`reverted` when mined, `failed` when the nonce was
 *   used by another transaction, still `pending` (last_error `receipt_timeout`) when the wait timed out.
 */
import { type Address, type Hex, keccak256, type LocalAccount, type Log } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type {
  ChainTransactionRecord,
  ChainTransactionsRepository,
} from "../store/chainTransactionsRepository.ts";
import type { ChainClient } from "./chainClient.ts";
import { chainFailure, isAlreadyKnown, isNonceConflict, rpcFailure } from "./chainErrors.ts";
import { inSpan } from "../telemetry/spans.ts";
import { createSerializer } from "./serialize.ts";
import { realSleep, type Sleep } from "./sleep.ts";

export interface TransactionRequest {
  to: Address;
  data: Hex;
  /** Wei. Default 0. */
  value?: bigint;
  /** What is being sent, for errors and logs (`claimMilestone`, `slash batch`). */
  operation: string;
}

export interface SubmitTransactionParameters extends TransactionRequest {
  /** The `chain_transactions` rows this transaction settles: every attempt and the outcome are written there. */
  rowIds: string[];
}

export type TransactionOutcomeStatus = "confirmed" | "reverted" | "failed" | "pending";

export interface TransactionOutcome {
  status: TransactionOutcomeStatus;
  /** The mined hash (a bump's when the bump was mined), else the latest sent; null if nothing was sent. */
  txHash: Hex | null;
  nonce: number | null;
  blockNumber: bigint | null;
  /** Signed attempts of this transaction, bumps included. */
  attempts: number;
  /** Why it failed or is still pending. */
  error: string | null;
  /** The mined receipt's logs (empty when not mined), e.g. to see which items of a batch took effect. */
  logs?: readonly Log[];
}

/** What a `resumePending` found, counted in rows (milestones). */
export interface ResumePendingResult {
  checked: number;
  confirmed: number;
  reverted: number;
  failed: number;
  /** Still not mined (or skipped because another process is following them). */
  pending: number;
}

export interface SimulateTransactionReturnType {
  /** The gas limit to send with (estimate x `gasLimitPercent`). */
  gas: bigint;
  /** What the call returned (e.g. the per-call results of a Multicall3 `aggregate3`). */
  returnData: Hex;
}

export interface Submission {
  txHash: Hex;
  nonce: number;
  /** Resolves (never rejects) when the transaction is mined, has failed, or the wait timed out. */
  outcome: Promise<TransactionOutcome>;
}

export interface TransactionSender {
  readonly address: Address;
  readonly chainId: number;
  /** Throws ContractRevertedError (decoded) when the call would revert, DependencyError when the RPC fails. */
  simulate(request: TransactionRequest): Promise<SimulateTransactionReturnType>;
  /** Simulates, signs, records and broadcasts; the outcome is followed in the background. */
  submit(parameters: SubmitTransactionParameters): Promise<Submission>;
  /** `submit`, then waits for the outcome. */
  send(parameters: SubmitTransactionParameters): Promise<TransactionOutcome>;
  /** Picks up rows left pending (by a crash or a timeout) that share one transaction: check, rebroadcast, bump. */
  resume(rows: readonly ChainTransactionRecord[]): Promise<TransactionOutcome>;
  /** Stops following transactions (their rows stay pending for `resume`) and waits for the followers to end. */
  close(): Promise<void>;
}

export interface CreateTransactionSenderParameters {
  client: Pick<
    ChainClient,
    | "call"
    | "estimateGas"
    | "estimateFeesPerGas"
    | "getTransactionCount"
    | "sendRawTransaction"
    | "getTransactionReceipt"
  >;
  account: LocalAccount;
  chainId: number;
  transactions: ChainTransactionsRepository;
  clock: Clock;
  logger: Logger;
  sleep?: Sleep;
  /** Between receipt checks. Default 1 000 ms. */
  pollIntervalMs?: number;
  /** Replace a transaction not mined after this long. Default 30 000 ms. */
  bumpAfterMs?: number;
  /** Most replacements per transaction. Default 3. */
  maxBumps?: number;
  /** Stop waiting for a receipt after this long (the row stays pending). Default 300 000 ms. */
  receiptTimeoutMs?: number;
  /** Gas limit = estimate x this / 100. Default 120. */
  gasLimitPercent?: number;
  /** Never bump `maxFeePerGas` above this (wei); unlimited when absent. */
  maxFeePerGasCap?: bigint;
}

export type CreateTransactionSenderReturnType = TransactionSender;

/** Replacement fees are at least the old ones x 1125 / 1000 (nodes want >= 10 %). */
const BUMP_NUMERATOR = 1125n;
const BUMP_DENOMINATOR = 1000n;

const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const hexSchema = z.string().regex(/^0x([0-9a-fA-F]{2})*$/);
const hashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const weiSchema = z
  .string()
  .regex(/^[0-9]{1,78}$/)
  .transform((value) => BigInt(value));

/** What a row's `details.tx` holds: enough to check, rebroadcast or bump the transaction after a restart. */
const sentDetailsSchema = z.object({
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

const requestSchema = z.object({
  to: addressSchema.transform((value) => value as Address),
  data: hexSchema.transform((value) => value as Hex),
  value: z.bigint().min(0n).default(0n),
  operation: z.string().min(1).max(200),
});

const submitSchema = requestSchema.extend({ rowIds: z.array(z.uuid()).min(1).max(500) });

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** A transaction being followed until it is mined. */
interface Tracked {
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

function invalidRequest(cause: unknown): ValidationError {
  return new ValidationError({
    code: "invalid_transaction",
    message: "Invalid transaction request.",
    details: { issues: cause instanceof z.ZodError ? cause.issues.map((i) => i.path.join(".")) : [] },
    cause,
  });
}

const bumped = (value: bigint) => {
  const raised = (value * BUMP_NUMERATOR + BUMP_DENOMINATOR - 1n) / BUMP_DENOMINATOR;
  return raised > value ? raised : value + 1n;
};
const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);

function errorText(error: unknown): string {
  const e = error as { shortMessage?: unknown; details?: unknown; message?: unknown };
  const text = [e.shortMessage, e.details].filter((m) => typeof m === "string").join(": ");
  return (text !== "" ? text : String(e.message ?? error)).slice(0, 500);
}

/** The operator's account from its private key (ValidationError naming OPERATOR_PRIVATE_KEY when invalid). */
export function operatorAccount(privateKey: string): LocalAccount {
  const parsed = z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .safeParse(privateKey);
  if (parsed.success) {
    try {
      return privateKeyToAccount(parsed.data as Hex);
    } catch {
      // Not a valid secp256k1 key: same answer as a malformed one (the key itself is never echoed).
    }
  }
  throw new ValidationError({
    code: "invalid_operator_key",
    message: "operator key: must be a 0x-prefixed 32-byte hex secp256k1 private key",
    details: { field: "OPERATOR_PRIVATE_KEY" },
  });
}

export function createTransactionSender({
  client,
  account,
  chainId,
  transactions,
  clock,
  logger,
  sleep = realSleep,
  pollIntervalMs = 1_000,
  bumpAfterMs = 30_000,
  maxBumps = 3,
  receiptTimeoutMs = 300_000,
  gasLimitPercent = 120,
  maxFeePerGasCap,
}: CreateTransactionSenderParameters): CreateTransactionSenderReturnType {
  const address = account.address;
  const log = logger.child({ component: "transactionSender", from: address });
  const serialize = createSerializer();
  const closing = new AbortController();
  const followers = new Set<Promise<TransactionOutcome>>();
  let nextNonce: number | undefined;
  /** Nonces below this belong to transactions being resumed (maybe not yet in the node's pending count). */
  let nonceFloor = 0;

  const follow = (tracked: Tracked): Promise<TransactionOutcome> => {
    const outcome = monitor(tracked).catch((err: unknown): TransactionOutcome => {
      log.error({ err, nonce: tracked.nonce }, "following a transaction failed; its rows stay pending");
      return outcomeOf(tracked, "pending", null, errorText(err));
    });
    followers.add(outcome);
    void outcome.finally(() => followers.delete(outcome));
    return outcome;
  };

  const outcomeOf = (
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

  const detailsOf = (tracked: Tracked) => ({
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

  const currentFees = async (): Promise<Fees> => {
    try {
      const fees = await client.estimateFeesPerGas();
      if (fees.maxFeePerGas === undefined || fees.maxPriorityFeePerGas === undefined) {
        throw new Error("the chain did not report EIP-1559 fees");
      }
      return { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
    } catch (error) {
      throw rpcFailure("fee estimation", error);
    }
  };

  const sign = async (tracked: Omit<Tracked, "hashes" | "raw">): Promise<{ raw: Hex; hash: Hex }> => {
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
  };

  const broadcast = (raw: Hex): Promise<void> =>
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
    );

  /** The receipt of any of the hashes (newest first), or null when none is mined yet or the RPC failed. */
  const findReceipt = async (hashes: readonly Hex[]) => {
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
  };

  /** Replaces the transaction with higher fees, or (bumps used up, fee cap reached) rebroadcasts it. */
  const bumpOrRebroadcast = (tracked: Tracked): Promise<void> =>
    inSpan(
      "chain.tx.bump",
      { "chain.id": chainId, "tx.nonce": tracked.nonce, "tx.bumps": tracked.bumps },
      () => bumpOrRebroadcastNow(tracked),
    );
  const bumpOrRebroadcastNow = async (tracked: Tracked): Promise<void> => {
    let fees: Fees | undefined;
    if (tracked.bumps < maxBumps) {
      const network = await currentFees().catch(() => undefined);
      const maxPriorityFeePerGas = maxOf(
        bumped(tracked.fees.maxPriorityFeePerGas),
        network?.maxPriorityFeePerGas ?? 0n,
      );
      const maxFeePerGas = maxOf(
        maxOf(bumped(tracked.fees.maxFeePerGas), network?.maxFeePerGas ?? 0n),
        maxPriorityFeePerGas,
      );
      if (maxFeePerGasCap === undefined || maxFeePerGas <= maxFeePerGasCap) {
        fees = { maxFeePerGas, maxPriorityFeePerGas };
      } else {
        log.warn({ nonce: tracked.nonce, maxFeePerGas, maxFeePerGasCap }, "fee cap reached; not bumping");
      }
    }
    if (fees === undefined) {
      await broadcast(tracked.raw).catch((err: unknown) =>
        log.warn({ err, nonce: tracked.nonce }, "rebroadcast failed"),
      );
      tracked.lastSentAt = clock.now();
      return;
    }
    const { raw, hash } = await sign({ ...tracked, fees });
    const next: Tracked = {
      ...tracked,
      fees,
      raw,
      hashes: [...tracked.hashes, hash],
      bumps: tracked.bumps + 1,
      attempts: tracked.attempts + 1,
    };
    await transactions.recordAttempt({
      ids: tracked.rowIds,
      nonce: tracked.nonce,
      txHash: hash,
      details: detailsOf(next),
    });
    Object.assign(tracked, next, { lastSentAt: clock.now() });
    try {
      await broadcast(raw);
      log.info(
        { nonce: tracked.nonce, txHash: hash, bump: tracked.bumps, maxFeePerGas: fees.maxFeePerGas },
        "transaction replaced with higher fees",
      );
    } catch (err) {
      // Most likely the nonce was mined meanwhile (the previous hash): the next receipt check finds it.
      log.warn({ err, nonce: tracked.nonce, txHash: hash }, "broadcasting the replacement failed");
    }
  };

  /** Follows the transaction to its receipt (bumping it when it lingers), in a `chain.tx.receipt` span. */
  const monitor = (tracked: Tracked): Promise<TransactionOutcome> =>
    inSpan("chain.tx.receipt", { "chain.id": chainId, "tx.nonce": tracked.nonce }, async (span) => {
      const outcome = await monitorNow(tracked);
      span?.setAttributes({ "tx.status": outcome.status, "tx.attempts": outcome.attempts });
      if (outcome.txHash !== null) span?.setAttribute("tx.hash", outcome.txHash);
      if (outcome.blockNumber !== null) span?.setAttribute("tx.block", Number(outcome.blockNumber));
      return outcome;
    });
  const monitorNow = async (tracked: Tracked): Promise<TransactionOutcome> => {
    const started = clock.now();
    // Bounded by polls as well as by time, so a clock that does not move cannot make it spin forever.
    const maxPolls = Math.ceil(receiptTimeoutMs / Math.max(1, pollIntervalMs)) + 1;
    let nonceUsedElsewhere = 0;
    for (let poll = 0; poll <= maxPolls; poll++) {
      const mined = await findReceipt(tracked.hashes);
      if (mined !== null) {
        const status = mined.receipt.status === "success" ? "confirmed" : "reverted";
        const error = status === "reverted" ? "reverted on chain" : null;
        await transactions.setStatus({ ids: tracked.rowIds, status, txHash: mined.hash, lastError: error });
        log.info({ nonce: tracked.nonce, txHash: mined.hash, status }, "transaction mined");
        return outcomeOf(tracked, status, mined.hash, error, mined.receipt.blockNumber, mined.receipt.logs);
      }
      if (closing.signal.aborted) return outcomeOf(tracked, "pending", null, "sender closed");
      if (clock.now() - started >= receiptTimeoutMs) break;
      if (clock.now() - tracked.lastSentAt >= bumpAfterMs) {
        let confirmedNonce: number | undefined;
        try {
          confirmedNonce = await client.getTransactionCount({ address, blockTag: "latest" });
        } catch (err) {
          log.debug({ err }, "nonce check failed; retrying");
        }
        if (confirmedNonce !== undefined && confirmedNonce > tracked.nonce) {
          // Seen twice with no receipt in between: another transaction took this nonce.
          if (++nonceUsedElsewhere >= 2) {
            const error = "nonce used by another transaction";
            await transactions.setStatus({ ids: tracked.rowIds, status: "failed", lastError: error });
            log.warn({ nonce: tracked.nonce }, "transaction dropped: its nonce was used by another one");
            return outcomeOf(tracked, "failed", null, error);
          }
        } else if (confirmedNonce !== undefined) {
          nonceUsedElsewhere = 0;
          await bumpOrRebroadcast(tracked);
        }
      }
      await sleep(pollIntervalMs, closing.signal);
    }
    await transactions.setStatus({ ids: tracked.rowIds, status: "pending", lastError: "receipt_timeout" });
    log.warn(
      { nonce: tracked.nonce, txHash: tracked.hashes.at(-1) },
      "no receipt before the timeout; left pending",
    );
    return outcomeOf(tracked, "pending", null, "receipt_timeout");
  };

  const simulate = async (request: TransactionRequest): Promise<SimulateTransactionReturnType> => {
    const parsed = requestSchema.safeParse(request);
    if (!parsed.success) throw invalidRequest(parsed.error);
    const { to, data, value, operation } = parsed.data;
    let returnData: Hex;
    try {
      returnData = (await client.call({ account: address, to, data, value })).data ?? "0x";
    } catch (error) {
      throw chainFailure(operation, error);
    }
    let estimate: bigint;
    try {
      estimate = await client.estimateGas({ account: address, to, data, value });
    } catch (error) {
      throw chainFailure(operation, error);
    }
    return { gas: (estimate * BigInt(gasLimitPercent)) / 100n, returnData };
  };

  const submit = async (parameters: SubmitTransactionParameters): Promise<Submission> => {
    const parsed = submitSchema.safeParse(parameters);
    if (!parsed.success) throw invalidRequest(parsed.error);
    const { to, data, value, operation, rowIds } = parsed.data;
    if (closing.signal.aborted) throw rpcFailure(operation, new Error("the transaction sender is closed"));
    const { gas } = await simulate({ to, data, value, operation });
    return serialize(async () => {
      // Bounded: a nonce conflict (another sender on this key) resyncs and signs again, twice at most.
      for (let attempt = 0; ; attempt++) {
        if (nextNonce === undefined) {
          try {
            const pending = await client.getTransactionCount({ address, blockTag: "pending" });
            nextNonce = Math.max(pending, nonceFloor);
          } catch (error) {
            throw rpcFailure("nonce lookup", error);
          }
        }
        const fees = await currentFees();
        const base = {
          rowIds,
          operation,
          to,
          data,
          value,
          gas,
          nonce: nextNonce,
          fees,
          lastSentAt: 0,
          bumps: 0,
        };
        const { raw, hash } = await sign({ ...base, attempts: 1 });
        const tracked: Tracked = { ...base, raw, hashes: [hash], attempts: 1 };
        await transactions.recordAttempt({
          ids: rowIds,
          nonce: tracked.nonce,
          txHash: hash,
          details: detailsOf(tracked),
        });
        try {
          await broadcast(raw);
        } catch (error) {
          nextNonce = undefined;
          if (isNonceConflict(error) && attempt < 2) {
            log.warn({ err: error, nonce: tracked.nonce }, "nonce conflict; resyncing the nonce");
            continue;
          }
          await transactions.setStatus({ ids: rowIds, status: "failed", lastError: errorText(error) });
          throw chainFailure(operation, error);
        }
        nextNonce = tracked.nonce + 1;
        tracked.lastSentAt = clock.now();
        log.info({ operation, nonce: tracked.nonce, txHash: hash, rows: rowIds.length }, "transaction sent");
        return { txHash: hash, nonce: tracked.nonce, outcome: follow(tracked) };
      }
    });
  };

  return {
    address,
    chainId,
    simulate,
    submit,
    send: async (parameters) => (await submit(parameters)).outcome,

    resume: async (rows) => {
      const [first] = rows;
      if (first === undefined) throw invalidRequest(new Error("no rows to resume"));
      const rowIds = rows.map((row) => row.id);
      const unsent: Tracked = {
        rowIds,
        operation: "resume",
        to: address,
        data: "0x",
        value: 0n,
        gas: 0n,
        nonce: first.nonce ?? 0,
        fees: { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n },
        hashes: first.txHash === null ? [] : [first.txHash],
        raw: "0x",
        lastSentAt: first.updatedAt.getTime(),
        bumps: 0,
        attempts: first.attempts,
      };
      if (first.txHash === null) {
        // Nothing was signed (the process stopped between inserting the row and signing).
        await transactions.setStatus({ ids: rowIds, status: "failed", lastError: "not sent" });
        return { ...outcomeOf(unsent, "failed", null, "not sent"), nonce: null };
      }
      const details = sentDetailsSchema.safeParse(first.details.tx);
      if (!details.success) {
        // Without the signed transaction only its receipt can be checked.
        const mined = await findReceipt(unsent.hashes);
        if (mined === null) return outcomeOf(unsent, "pending", null, "unreadable transaction details");
        const status = mined.receipt.status === "success" ? "confirmed" : "reverted";
        await transactions.setStatus({ ids: rowIds, status, txHash: mined.hash });
        return outcomeOf(unsent, status, mined.hash, null, mined.receipt.blockNumber, mined.receipt.logs);
      }
      const tx = details.data;
      nonceFloor = Math.max(nonceFloor, tx.nonce + 1);
      if (nextNonce !== undefined) nextNonce = Math.max(nextNonce, nonceFloor);
      const tracked: Tracked = {
        rowIds,
        operation: tx.operation,
        to: tx.to as Address,
        data: tx.data as Hex,
        value: tx.value,
        gas: tx.gas,
        nonce: tx.nonce,
        fees: { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas },
        hashes: tx.hashes as Hex[],
        raw: tx.raw as Hex,
        lastSentAt: clock.now(),
        bumps: tx.hashes.length - 1,
        attempts: first.attempts,
      };
      if ((await findReceipt(tracked.hashes)) === null) {
        // It may never have reached the node (the process stopped right after recording it): send it again.
        await broadcast(tracked.raw).catch((err: unknown) =>
          log.debug({ err, nonce: tracked.nonce }, "rebroadcast on resume refused"),
        );
      }
      return follow(tracked);
    },

    close: async () => {
      closing.abort();
      await Promise.allSettled([...followers]);
    },
  };
}
