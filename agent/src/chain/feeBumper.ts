/**
 * Replaces a lingering transaction with the same nonce and fees x1.125 (or the network's current fees if
 * higher), at most `maxBumps` times and never above `maxFeePerGasCap`; past that it rebroadcasts the latest
 * signed transaction as is. Each replacement is recorded on the rows before it is broadcast.
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../logger.ts";
import type { ChainTransactionsRepository } from "../store/chainTransactionsRepository.ts";
import { inSpan } from "../telemetry/spans.ts";
import { detailsOf, type Fees, type Tracked } from "./trackedTransaction.ts";
import type { TransactionWire } from "./transactionWire.ts";

/** Replacement fees are at least the old ones x 1125 / 1000 (nodes want >= 10 %). */
const BUMP_NUMERATOR = 1125n;
const BUMP_DENOMINATOR = 1000n;

const bumped = (value: bigint) => {
  const raised = (value * BUMP_NUMERATOR + BUMP_DENOMINATOR - 1n) / BUMP_DENOMINATOR;
  return raised > value ? raised : value + 1n;
};
const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);

/** The replacement's fees: the old ones bumped, or the network's when higher. */
export function replacementFees(old: Fees, network: Fees | undefined): Fees {
  const maxPriorityFeePerGas = maxOf(bumped(old.maxPriorityFeePerGas), network?.maxPriorityFeePerGas ?? 0n);
  const maxFeePerGas = maxOf(
    maxOf(bumped(old.maxFeePerGas), network?.maxFeePerGas ?? 0n),
    maxPriorityFeePerGas,
  );
  return { maxFeePerGas, maxPriorityFeePerGas };
}

export interface CreateFeeBumperParameters {
  wire: TransactionWire;
  transactions: Pick<ChainTransactionsRepository, "recordAttempt">;
  clock: Clock;
  log: Logger;
  chainId: number;
  maxBumps: number;
  maxFeePerGasCap: bigint | undefined;
}

export interface FeeBumper {
  /** Replaces `tracked` with higher fees, or (bumps used up, fee cap reached) rebroadcasts it; updates it. */
  bumpOrRebroadcast(tracked: Tracked): Promise<void>;
}

export function createFeeBumper({
  wire,
  transactions,
  clock,
  log,
  chainId,
  maxBumps,
  maxFeePerGasCap,
}: CreateFeeBumperParameters): FeeBumper {
  /** The fees to replace `tracked` with, or undefined when it must not be bumped (any more). */
  const nextFees = async (tracked: Tracked): Promise<Fees | undefined> => {
    if (tracked.bumps >= maxBumps) return undefined;
    const fees = replacementFees(tracked.fees, await wire.currentFees().catch(() => undefined));
    if (maxFeePerGasCap === undefined || fees.maxFeePerGas <= maxFeePerGasCap) return fees;
    log.warn(
      { nonce: tracked.nonce, maxFeePerGas: fees.maxFeePerGas, maxFeePerGasCap },
      "fee cap reached; not bumping",
    );
    return undefined;
  };

  const rebroadcast = async (tracked: Tracked) => {
    await wire
      .broadcast(tracked.raw)
      .catch((err: unknown) => log.warn({ err, nonce: tracked.nonce }, "rebroadcast failed"));
    tracked.lastSentAt = clock.now();
  };

  const replace = async (tracked: Tracked, fees: Fees) => {
    const { raw, hash } = await wire.sign({ ...tracked, fees });
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
      await wire.broadcast(raw);
      log.info(
        { nonce: tracked.nonce, txHash: hash, bump: tracked.bumps, maxFeePerGas: fees.maxFeePerGas },
        "transaction replaced with higher fees",
      );
    } catch (err) {
      // Most likely the nonce was mined meanwhile (the previous hash): the next receipt check finds it.
      log.warn({ err, nonce: tracked.nonce, txHash: hash }, "broadcasting the replacement failed");
    }
  };

  return {
    bumpOrRebroadcast: (tracked) =>
      inSpan(
        "chain.tx.bump",
        { "chain.id": chainId, "tx.nonce": tracked.nonce, "tx.bumps": tracked.bumps },
        async () => {
          const fees = await nextFees(tracked);
          await (fees === undefined ? rebroadcast(tracked) : replace(tracked, fees));
        },
      ),
  };
}
