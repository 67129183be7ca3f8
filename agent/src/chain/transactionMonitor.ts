/**
 * Follows sent transactions to their outcome, in the background: polls for a receipt of any hash signed for the
 * nonce, has the fee bumper replace a transaction not mined after `bumpAfterMs`, and writes the outcome to the
 * rows: `confirmed`/`reverted` when mined, `failed` when another transaction took the nonce (seen twice), still
 * `pending` (last_error `receipt_timeout`) after `receiptTimeoutMs`. `close()` stops following (the rows stay
 * pending for a later resume) and waits for the followers to end.
 */
import type { Address } from "viem";
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { ChainTransactionsRepository } from "../store/chainTransactionsRepository.ts";
import { inSpan } from "../telemetry/spans.ts";
import type { ChainClient } from "./chainClient.ts";
import type { FeeBumper } from "./feeBumper.ts";
import type { Sleep } from "./sleep.ts";
import { errorText, outcomeOf, type Tracked } from "./trackedTransaction.ts";
import type { TransactionOutcome } from "./transactionTypes.ts";
import type { TransactionWire } from "./transactionWire.ts";

export interface CreateTransactionMonitorParameters {
  client: Pick<ChainClient, "getTransactionCount">;
  address: Address;
  chainId: number;
  wire: Pick<TransactionWire, "findReceipt">;
  bumper: FeeBumper;
  transactions: Pick<ChainTransactionsRepository, "setStatus">;
  clock: Clock;
  log: Logger;
  sleep: Sleep;
  pollIntervalMs: number;
  bumpAfterMs: number;
  receiptTimeoutMs: number;
}

export interface TransactionMonitor {
  /** Follows `tracked` until it has an outcome (never rejects). */
  follow(tracked: Tracked): Promise<TransactionOutcome>;
  readonly closed: boolean;
  /** Stops following and waits for the followers to end. */
  close(): Promise<void>;
}

export function createTransactionMonitor(parameters: CreateTransactionMonitorParameters): TransactionMonitor {
  const { chainId, log } = parameters;
  const closing = new AbortController();
  const followers = new Set<Promise<TransactionOutcome>>();

  /** Follows the transaction to its receipt (bumping it when it lingers), in a `chain.tx.receipt` span. */
  const monitor = (tracked: Tracked): Promise<TransactionOutcome> =>
    inSpan("chain.tx.receipt", { "chain.id": chainId, "tx.nonce": tracked.nonce }, async (span) => {
      const outcome = await followToOutcome(parameters, tracked, closing.signal);
      span?.setAttributes({ "tx.status": outcome.status, "tx.attempts": outcome.attempts });
      if (outcome.txHash !== null) span?.setAttribute("tx.hash", outcome.txHash);
      if (outcome.blockNumber !== null) span?.setAttribute("tx.block", Number(outcome.blockNumber));
      return outcome;
    });

  return {
    follow(tracked) {
      const outcome = monitor(tracked).catch((err: unknown): TransactionOutcome => {
        log.error({ err, nonce: tracked.nonce }, "following a transaction failed; its rows stay pending");
        return outcomeOf(tracked, "pending", null, errorText(err));
      });
      followers.add(outcome);
      void outcome.finally(() => followers.delete(outcome));
      return outcome;
    },
    get closed() {
      return closing.signal.aborted;
    },
    async close() {
      closing.abort();
      await Promise.allSettled([...followers]);
    },
  };
}

/** The receipt-polling loop of one transaction. */
async function followToOutcome(
  p: CreateTransactionMonitorParameters,
  tracked: Tracked,
  signal: AbortSignal,
): Promise<TransactionOutcome> {
  const { transactions, clock, log } = p;
  const started = clock.now();
  // Bounded by polls as well as by time, so a clock that does not move cannot make it spin forever.
  const maxPolls = Math.ceil(p.receiptTimeoutMs / Math.max(1, p.pollIntervalMs)) + 1;
  let nonceUsedElsewhere = 0;
  for (let poll = 0; poll <= maxPolls; poll++) {
    const mined = await p.wire.findReceipt(tracked.hashes);
    if (mined !== null) {
      const status = mined.receipt.status === "success" ? "confirmed" : "reverted";
      const error = status === "reverted" ? "reverted on chain" : null;
      await transactions.setStatus({ ids: tracked.rowIds, status, txHash: mined.hash, lastError: error });
      log.info({ nonce: tracked.nonce, txHash: mined.hash, status }, "transaction mined");
      return outcomeOf(tracked, status, mined.hash, error, mined.receipt.blockNumber, mined.receipt.logs);
    }
    if (signal.aborted) return outcomeOf(tracked, "pending", null, "sender closed");
    if (clock.now() - started >= p.receiptTimeoutMs) break;
    if (clock.now() - tracked.lastSentAt >= p.bumpAfterMs) {
      const confirmedNonce = await confirmedNonceOf(p);
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
        await p.bumper.bumpOrRebroadcast(tracked);
      }
    }
    await p.sleep(p.pollIntervalMs, signal);
  }
  await transactions.setStatus({ ids: tracked.rowIds, status: "pending", lastError: "receipt_timeout" });
  log.warn(
    { nonce: tracked.nonce, txHash: tracked.hashes.at(-1) },
    "no receipt before the timeout; left pending",
  );
  return outcomeOf(tracked, "pending", null, "receipt_timeout");
}

/** The account's mined transaction count, or undefined when the RPC failed (checked again next poll). */
async function confirmedNonceOf(p: CreateTransactionMonitorParameters): Promise<number | undefined> {
  try {
    return await p.client.getTransactionCount({ address: p.address, blockTag: "latest" });
  } catch (err) {
    p.log.debug({ err }, "nonce check failed; retrying");
    return undefined;
  }
}
