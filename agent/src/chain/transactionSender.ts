/**
 * Sends the agent's transactions from one operator account (a viem local account: keys never leave the
 * process) and sees them mined:
 * - simulates first (`eth_call` + `eth_estimateGas`): a revert is a ContractRevertedError carrying the decoded
 *   custom error, and nothing is signed;
 * - nonces are handed out in-process one at a time (the pending count is read from the chain at first use and
 *   after any failure; a nonce conflict with another sender resyncs and signs again, at most twice); with a
 *   `lock`, across replicas too: each send holds the account's lease (`senderLease.ts`) and reads the pending
 *   count afresh, so replicas sharing the operator key never sign the same nonce;
 * - each signed attempt is recorded in `chain_transactions` BEFORE it is broadcast (nonce, hash and the raw
 *   transaction), so after a crash `resume` can find, rebroadcast or bump it;
 * - when not mined after `bumpAfterMs` it is replaced with the same nonce and fees x1.125 (or the network's
 *   current fees if higher), at most `maxBumps` times, then rebroadcast as is until `receiptTimeoutMs`;
 * - a broadcast lost in transit (no answer from the node, which may have it all the same) is "maybe sent": it
 *   stays pending and is followed like a sent one, re-checked by hash and nonce before it is sent again with the
 *   same nonce (never `failed`, which would let its rows be sent again with another nonce);
 * - the outcome is written back to the rows: `confirmed`/`reverted` when mined, `failed` when the nonce was
 *   used by another transaction, still `pending` (last_error `receipt_timeout`) when the wait timed out.
 */
import type { Address, Hex, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type {
  ChainTransactionRecord,
  ChainTransactionsRepository,
} from "../store/chainTransactionsRepository.ts";
import type { ChainClient } from "./chainClient.ts";
import { chainFailure, isNodeRejection, isNonceConflict, rpcFailure } from "./chainErrors.ts";
import { createFeeBumper } from "./feeBumper.ts";
import { createNonceManager, type NonceManager } from "./nonceManager.ts";
import type { Lock } from "./lock.ts";
import { createSenderLease } from "./senderLease.ts";
import { createSerializer } from "./serialize.ts";
import { realSleep, type Sleep } from "./sleep.ts";
import {
  addressSchema,
  detailsOf,
  errorText,
  hexSchema,
  outcomeOf,
  sentDetailsSchema,
  type Tracked,
} from "./trackedTransaction.ts";
import { createTransactionMonitor, type TransactionMonitor } from "./transactionMonitor.ts";
import type {
  SimulateTransactionReturnType,
  Submission,
  TransactionOutcome,
  TransactionRequest,
  TransactionSender,
} from "./transactionTypes.ts";
import { createTransactionWire, type TransactionWire } from "./transactionWire.ts";

export type {
  ResumePendingResult,
  SimulateTransactionReturnType,
  SubmitTransactionParameters,
  Submission,
  TransactionOutcome,
  TransactionOutcomeStatus,
  TransactionRequest,
  TransactionSender,
} from "./transactionTypes.ts";

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
  /**
   * Shared by the replicas that send from this account (the store's lock): each send holds the account's lease.
   * Absent: this process is the account's only sender.
   */
  lock?: Lock;
  /** Longest wait for the account's lease before a `sender_busy` DependencyError. Default 10 000 ms. */
  leaseWaitMs?: number;
}

export type CreateTransactionSenderReturnType = TransactionSender;

const requestSchema = z.object({
  to: addressSchema.transform((value) => value as Address),
  data: hexSchema.transform((value) => value as Hex),
  value: z.bigint().min(0n).default(0n),
  operation: z.string().min(1).max(200),
});

const submitSchema = requestSchema.extend({ rowIds: z.array(z.uuid()).min(1).max(500) });

function invalidRequest(cause: unknown): ValidationError {
  return new ValidationError({
    code: "invalid_transaction",
    message: "Invalid transaction request.",
    details: { issues: cause instanceof z.ZodError ? cause.issues.map((i) => i.path.join(".")) : [] },
    cause,
  });
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
  lock,
  leaseWaitMs,
}: CreateTransactionSenderParameters): CreateTransactionSenderReturnType {
  const address = account.address;
  const log = logger.child({ component: "transactionSender", from: address });
  const serialize = createSerializer();
  const wire = createTransactionWire({ client, account, chainId, log });
  const nonces = createNonceManager({ client, address });
  const bumper = createFeeBumper({ wire, transactions, clock, log, chainId, maxBumps, maxFeePerGasCap });
  const monitor = createTransactionMonitor({
    client,
    address,
    chainId,
    wire,
    bumper,
    transactions,
    clock,
    log,
    sleep,
    pollIntervalMs,
    bumpAfterMs,
    receiptTimeoutMs,
  });
  const steps: SendSteps = { address, transactions, clock, log, wire, nonces, monitor };
  const lease =
    lock === undefined
      ? undefined
      : createSenderLease({
          lock,
          chainId,
          address,
          log,
          sleep,
          ...(leaseWaitMs === undefined ? {} : { waitMs: leaseWaitMs }),
        });

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

  const submit: TransactionSender["submit"] = async (parameters) => {
    const parsed = submitSchema.safeParse(parameters);
    if (!parsed.success) throw invalidRequest(parsed.error);
    const { to, data, value, operation, rowIds } = parsed.data;
    if (monitor.closed) throw rpcFailure(operation, new Error("the transaction sender is closed"));
    const { gas } = await simulate({ to, data, value, operation });
    const send = () => signAndBroadcast(steps, { rowIds, operation, to, data, value, gas });
    if (lease === undefined) return serialize(send);
    // Another replica may have sent since this one last held the lease: read the pending count again (never below
    // this process's own next nonce: one of its transactions may be in transit, "maybe sent").
    return serialize(() =>
      lease.run(() => {
        nonces.refresh();
        return send();
      }),
    );
  };

  return {
    address,
    chainId,
    simulate,
    submit,
    send: async (parameters) => (await submit(parameters)).outcome,
    resume: (rows) => resumeTransaction(steps, rows),
    close: () => monitor.close(),
  };
}

/** What the sender's steps share. */
interface SendSteps {
  address: Address;
  transactions: ChainTransactionsRepository;
  clock: Clock;
  log: Logger;
  wire: TransactionWire;
  nonces: NonceManager;
  monitor: TransactionMonitor;
}

type Unsigned = Pick<Tracked, "rowIds" | "operation" | "to" | "data" | "value" | "gas">;

/**
 * Signs with the next nonce, records the attempt, broadcasts, and hands the transaction to the monitor. Bounded:
 * a nonce conflict (another sender on this key) resyncs and signs again, twice at most. Runs serialised.
 */
async function signAndBroadcast(steps: SendSteps, unsigned: Unsigned): Promise<Submission> {
  const { transactions, wire, nonces, log } = steps;
  // One row (a claim): written only while it holds no other sender's transaction (see `recordAttempt`).
  let expectedTxHash: Hex | null = null;
  for (let attempt = 0; ; attempt++) {
    const nonce = await nonces.next();
    const fees = await wire.currentFees();
    const base = { ...unsigned, nonce, fees, lastSentAt: 0, bumps: 0 };
    const { raw, hash } = await wire.sign({ ...base, attempts: 1 });
    const tracked: Tracked = { ...base, raw, hashes: [hash], attempts: 1 };
    const single = unsigned.rowIds.length === 1;
    const recorded = await transactions.recordAttempt({
      ids: unsigned.rowIds,
      nonce,
      txHash: hash,
      details: detailsOf(tracked),
      ...(single ? { expectedTxHash } : {}),
    });
    if (single && recorded.length === 0) {
      // Another sender (a replica that took over this row's lease) signed it meanwhile: never a second one.
      throw new ConflictError({
        code: "transaction_taken",
        message: `${unsigned.operation}: another sender already signed a transaction for this row.`,
        details: { operation: unsigned.operation },
      });
    }
    expectedTxHash = hash;
    try {
      await wire.broadcast(raw);
      tracked.lastSentAt = steps.clock.now();
    } catch (error) {
      if (!isNodeRejection(error)) {
        // Lost in transit: the node may have it. Not `failed` (that would let the milestone be sent again with
        // another nonce): the row stays pending with its hash and the monitor checks the hash and the nonce
        // before sending it again with the same nonce (lastSentAt 0: at its first poll).
        log.warn(
          { err: error, nonce, txHash: hash },
          "broadcast failed in transit; following it as maybe sent",
        );
        tracked.lastSentAt = 0;
      } else {
        nonces.resync();
        if (isNonceConflict(error) && attempt < 2) {
          log.warn({ err: error, nonce }, "nonce conflict; resyncing the nonce");
          continue;
        }
        await transactions.setStatus({ ids: unsigned.rowIds, status: "failed", lastError: errorText(error) });
        throw chainFailure(unsigned.operation, error);
      }
    }
    nonces.used(nonce);
    log.info(
      { operation: unsigned.operation, nonce, txHash: hash, rows: unsigned.rowIds.length },
      "transaction sent",
    );
    return { txHash: hash, nonce, outcome: steps.monitor.follow(tracked) };
  }
}

/** Picks up rows left pending that share one transaction: check, rebroadcast, bump (see `TransactionSender`). */
async function resumeTransaction(
  steps: SendSteps,
  rows: readonly ChainTransactionRecord[],
): Promise<TransactionOutcome> {
  const { transactions, wire } = steps;
  const [first] = rows;
  if (first === undefined) throw invalidRequest(new Error("no rows to resume"));
  const rowIds = rows.map((row) => row.id);
  const unsent: Tracked = {
    rowIds,
    operation: "resume",
    to: steps.address,
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
    const mined = await wire.findReceipt(unsent.hashes);
    if (mined === null) return outcomeOf(unsent, "pending", null, "unreadable transaction details");
    const status = mined.receipt.status === "success" ? "confirmed" : "reverted";
    await transactions.setStatus({ ids: rowIds, status, txHash: mined.hash });
    return outcomeOf(unsent, status, mined.hash, null, mined.receipt.blockNumber, mined.receipt.logs);
  }
  const tx = details.data;
  steps.nonces.reserveBelow(tx.nonce + 1);
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
    lastSentAt: steps.clock.now(),
    bumps: tx.hashes.length - 1,
    attempts: first.attempts,
  };
  if ((await wire.findReceipt(tracked.hashes)) === null) {
    // It may never have reached the node (the process stopped right after recording it): send it again.
    await wire
      .broadcast(tracked.raw)
      .catch((err: unknown) =>
        steps.log.debug({ err, nonce: tracked.nonce }, "rebroadcast on resume refused"),
      );
  }
  return steps.monitor.follow(tracked);
}
