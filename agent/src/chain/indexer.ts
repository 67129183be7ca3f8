/**
 * Follows the vault's events into `commitments_cache`. Events only mark commitment ids dirty; each dirty id is
 * then read in full with the reader AT the range's last block and upserted, so reprocessing a range is
 * idempotent by construction. Work is bounded: `eth_getLogs` over at most `maxBlockRange` blocks (halved and
 * retried when the RPC says the range is too large), at most `maxRangesPerRun` ranges per run, and only blocks
 * at least `confirmations` behind the head.
 *
 * The cursor (last processed block and its hash) moves in the SAME store transaction as the rows derived from
 * its range, so a restart resumes exactly where the last committed range ended. Reorg safety: each run first
 * compares the cursor's hash with the chain's block at that height; on a mismatch it walks back to a
 * remembered block whose hash still matches (or `reorgDepth` blocks), re-reads at that block every cached row
 * that was read above it (deleting those that no longer exist), moves the cursor back there and goes on.
 */
import { type Address, getAbiItem, type Hex } from "viem";
import { z } from "zod";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { ConflictError, DependencyError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Repositories, Store } from "../store/store.ts";
import type { ChainClient } from "./chainClient.ts";
import { isRangeTooLarge, rpcFailure } from "./chainErrors.ts";
import { mapBounded } from "./mapBounded.ts";
import type { OnChainCommitment } from "./ports.ts";
import { createPollLoop, type PollLoop } from "./pollLoop.ts";
import { createSerializer } from "./serialize.ts";
import type { Sleep } from "./sleep.ts";
import type { ViemVaultReader } from "./vaultReader.ts";

export interface CreateIndexerParameters {
  client: Pick<ChainClient, "getBlockNumber" | "getBlock" | "getLogs">;
  reader: Pick<ViemVaultReader, "readCommitment">;
  store: Store;
  logger: Logger;
  chainId: number;
  vault: Address;
  /** The vault's deployment block: where indexing starts when there is no cursor. */
  deploymentBlock: number;
  /** Blocks behind the head that are not processed yet. Default 2 (0 is fine on a local chain). */
  confirmations?: number;
  /** Most blocks per `eth_getLogs`. Default 2 000. */
  maxBlockRange?: number;
  /** Most ranges per `runOnce`. Default 10. */
  maxRangesPerRun?: number;
  /** How far back a reorg is assumed to reach when no remembered block matches. Default 64. */
  reorgDepth?: number;
  /** Commitments read in parallel. Default 8. */
  readConcurrency?: number;
  /** For the background loop's waits. */
  sleep?: Sleep;
}

export interface IndexerRunResult {
  /** First block processed by this run, null when there was nothing new. */
  fromBlock: number | null;
  /** Last block processed (the cursor now), null when there was nothing new. */
  toBlock: number | null;
  /** Cache rows written. */
  updated: number;
  /** Cache rows deleted (commitments a reorg took away). */
  removed: number;
  /** A reorg was detected and repaired. */
  reorg: boolean;
  /** The cursor reached the confirmed head. */
  caughtUp: boolean;
}

export interface Indexer {
  /** One bounded pass; runs never overlap (a second call waits for the first). */
  runOnce(): Promise<IndexerRunResult>;
  /** Runs in the background every `intervalMs` (at once again while behind); errors are logged, backed off. */
  start(intervalMs: number): void;
  /** Stops the loop after the current run. */
  stop(): Promise<void>;
}

export type CreateIndexerReturnType = Indexer;

/** The events that change what the cache holds. */
export const INDEXED_EVENTS = [
  getAbiItem({ abi: commitmentVaultAbi, name: "CommitmentCreated" }),
  getAbiItem({ abi: commitmentVaultAbi, name: "MilestoneReleased" }),
  getAbiItem({ abi: commitmentVaultAbi, name: "MilestoneSlashed" }),
  getAbiItem({ abi: commitmentVaultAbi, name: "CommitmentCancelled" }),
  getAbiItem({ abi: commitmentVaultAbi, name: "CommitmentExited" }),
  getAbiItem({ abi: commitmentVaultAbi, name: "AppealOpened" }),
  getAbiItem({ abi: commitmentVaultAbi, name: "AppealResolved" }),
  getAbiItem({ abi: commitmentVaultAbi, name: "AppealExpired" }),
] as const;

const logSchema = z.object({
  eventName: z.enum([
    "CommitmentCreated",
    "MilestoneReleased",
    "MilestoneSlashed",
    "CommitmentCancelled",
    "CommitmentExited",
    "AppealOpened",
    "AppealResolved",
    "AppealExpired",
  ]),
  args: z.looseObject({ id: z.bigint().min(0n), milestones: z.number().int().min(1).max(104).optional() }),
});

const REMEMBERED_BLOCKS = 128;
const REPAIR_PAGE = 200;
/** 1 000 pages of 200: far more rows than `reorgDepth` blocks can touch. */
const MAX_REPAIR_PAGES = 1_000;
const MAX_RANGE_HALVINGS = 32;

interface Cursor {
  blockNumber: number;
  blockHash: Hex;
}

class CursorMovedError extends ConflictError {}

export function createIndexer({
  client,
  reader,
  store,
  logger,
  chainId,
  vault,
  deploymentBlock,
  confirmations = 2,
  maxBlockRange = 2_000,
  maxRangesPerRun = 10,
  reorgDepth = 64,
  readConcurrency = 8,
  sleep,
}: CreateIndexerParameters): CreateIndexerReturnType {
  const key = { chainId, vault };
  const log = logger.child({ component: "indexer", chainId, vault });
  const serialize = createSerializer();
  /** Hashes of blocks this process committed a cursor at (newest last), for finding a reorg's common ancestor. */
  const remembered = new Map<number, Hex>();
  let loop: PollLoop | undefined;

  const remember = (cursor: Cursor) => {
    remembered.delete(cursor.blockNumber);
    remembered.set(cursor.blockNumber, cursor.blockHash);
    if (remembered.size > REMEMBERED_BLOCKS) {
      const oldest = remembered.keys().next();
      if (oldest.done !== true) remembered.delete(oldest.value);
    }
  };

  /** The chain's hash at `blockNumber`, or null when it has no such block (any more). */
  const blockHash = async (blockNumber: number): Promise<Hex | null> => {
    try {
      const block = await client.getBlock({ blockNumber: BigInt(blockNumber) });
      return block.hash === null ? null : (block.hash.toLowerCase() as Hex);
    } catch (error) {
      if ((error as { name?: unknown }).name === "BlockNotFoundError") return null;
      throw rpcFailure("block lookup", error);
    }
  };

  const requireHash = async (blockNumber: number): Promise<Hex> => {
    const hash = await blockHash(blockNumber);
    if (hash === null) {
      throw new DependencyError({
        code: "chain_block_missing",
        message: `The RPC has no block ${blockNumber} (it reported a higher head).`,
        details: { blockNumber },
      });
    }
    return hash;
  };

  const readAt = (ids: readonly { id: bigint; milestones?: number }[], blockNumber: number) =>
    mapBounded(ids, readConcurrency, ({ id, milestones }) =>
      reader.readCommitment(id, {
        blockNumber: BigInt(blockNumber),
        ...(milestones !== undefined ? { milestones } : {}),
      }),
    );

  const write = async (
    tx: Repositories,
    id: bigint,
    commitment: OnChainCommitment | null,
    blockNumber: number,
  ): Promise<"updated" | "removed" | "none"> => {
    if (commitment === null) {
      return (await tx.commitments.delete({ chainId, vault, commitmentId: id })) ? "removed" : "none";
    }
    await tx.commitments.upsert({
      chainId,
      vault,
      commitmentId: commitment.commitmentId,
      owner: commitment.owner,
      token: commitment.token,
      amount: commitment.amount,
      start: commitment.start,
      period: commitment.period,
      milestones: commitment.milestones,
      grace: commitment.grace,
      beneficiary: commitment.beneficiary,
      rulesHash: commitment.rulesHash,
      closed: commitment.closed,
      milestoneStates: commitment.milestoneStates,
      appeals: commitment.appeals,
      updatedBlock: blockNumber,
    });
    return "updated";
  };

  /** Commits rows and the new cursor together, if the cursor is still where this run found it. */
  const commit = async (
    expected: Cursor | null,
    next: Cursor,
    reads: readonly { id: bigint; commitment: OnChainCommitment | null }[],
    readBlock: number,
  ) =>
    store.transaction(async (tx) => {
      const current = await tx.indexerCursor.get(key, { forUpdate: true });
      const unchanged =
        expected === null
          ? current === null
          : current !== null &&
            current.blockNumber === expected.blockNumber &&
            current.blockHash === expected.blockHash;
      if (!unchanged) {
        throw new CursorMovedError({
          code: "indexer_cursor_moved",
          message: "Another indexer moved the cursor; this run stops.",
        });
      }
      let updated = 0;
      let removed = 0;
      for (const { id, commitment } of reads) {
        const result = await write(tx, id, commitment, readBlock);
        if (result === "updated") updated++;
        if (result === "removed") removed++;
      }
      await tx.indexerCursor.set({ ...key, ...next });
      return { updated, removed };
    });

  /** The newest block at or below the cursor that is still on the chain (or `reorgDepth` back). */
  const findAncestor = async (cursorBlock: number, head: number): Promise<Cursor> => {
    const floor = Math.max(deploymentBlock - 1, 0);
    const candidates = [...remembered.entries()]
      .filter(([number]) => number < cursorBlock && number <= head && number >= floor)
      .sort(([a], [b]) => b - a);
    for (const [number, hash] of candidates) {
      if ((await blockHash(number)) === hash) return { blockNumber: number, blockHash: hash };
    }
    const fallback = Math.max(Math.min(cursorBlock - reorgDepth, head), floor);
    return { blockNumber: fallback, blockHash: await requireHash(fallback) };
  };

  /** After a reorg: re-read every row read above the ancestor, then move the cursor back to the ancestor. */
  const repair = async (stale: Cursor, ancestor: Cursor) => {
    let updated = 0;
    let removed = 0;
    let afterId: bigint | undefined;
    for (let page = 0; page < MAX_REPAIR_PAGES; page++) {
      const rows = await store.commitments.listUpdatedAfter({
        chainId,
        vault,
        block: ancestor.blockNumber,
        limit: REPAIR_PAGE,
        ...(afterId !== undefined ? { afterId } : {}),
      });
      const last = rows.at(-1);
      if (last === undefined) break;
      afterId = last.commitmentId;
      const ids = rows.map((row) => ({ id: row.commitmentId }));
      // Before the deployment block the vault did not exist: nothing read above it survives.
      const commitments =
        ancestor.blockNumber < deploymentBlock
          ? ids.map(() => null)
          : await readAt(ids, ancestor.blockNumber);
      const counts = await store.transaction(async (tx) => {
        let pageUpdated = 0;
        let pageRemoved = 0;
        for (const [i, { id }] of ids.entries()) {
          const result = await write(tx, id, commitments[i] ?? null, ancestor.blockNumber);
          if (result === "updated") pageUpdated++;
          if (result === "removed") pageRemoved++;
        }
        return { pageUpdated, pageRemoved };
      });
      updated += counts.pageUpdated;
      removed += counts.pageRemoved;
    }
    await commit(stale, ancestor, [], ancestor.blockNumber);
    remember(ancestor);
    log.warn(
      { staleBlock: stale.blockNumber, ancestorBlock: ancestor.blockNumber, updated, removed },
      "reorg detected; cache rewound to the common ancestor",
    );
    return { updated, removed };
  };

  const getLogs = async (fromBlock: number, toBlock: number) =>
    client.getLogs({
      address: vault,
      events: INDEXED_EVENTS,
      fromBlock: BigInt(fromBlock),
      toBlock: BigInt(toBlock),
      strict: true,
    });

  const run = async (): Promise<IndexerRunResult> => {
    const result: IndexerRunResult = {
      fromBlock: null,
      toBlock: null,
      updated: 0,
      removed: 0,
      reorg: false,
      caughtUp: false,
    };
    let head: number;
    try {
      head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    } catch (error) {
      throw rpcFailure("block number", error);
    }
    const safeHead = head - confirmations;

    const stored = await store.indexerCursor.get(key);
    let cursor: Cursor | null =
      stored === null ? null : { blockNumber: stored.blockNumber, blockHash: stored.blockHash };
    if (cursor !== null) {
      const onChain = await blockHash(cursor.blockNumber);
      if (onChain === cursor.blockHash) {
        remember(cursor);
      } else {
        result.reorg = true;
        const ancestor = await findAncestor(cursor.blockNumber, head);
        try {
          const repaired = await repair(cursor, ancestor);
          result.updated += repaired.updated;
          result.removed += repaired.removed;
        } catch (error) {
          if (error instanceof CursorMovedError) return result;
          throw error;
        }
        cursor = ancestor;
      }
    }

    let from = cursor === null ? deploymentBlock : cursor.blockNumber + 1;
    let rangeSize = maxBlockRange;
    let halvings = 0;
    for (let ranges = 0; ranges < maxRangesPerRun && from <= safeHead; ) {
      const to = Math.min(from + rangeSize - 1, safeHead);
      const endHash = await requireHash(to);
      let logs: Awaited<ReturnType<typeof getLogs>>;
      try {
        logs = await getLogs(from, to);
      } catch (error) {
        if (isRangeTooLarge(error) && to > from && halvings < MAX_RANGE_HALVINGS) {
          halvings++;
          rangeSize = Math.max(1, Math.floor((to - from + 1) / 2));
          log.info({ fromBlock: from, toBlock: to, rangeSize }, "log range too large; halving it");
          continue;
        }
        throw rpcFailure("eth_getLogs", error);
      }
      const dirty = new Map<bigint, number | undefined>();
      for (const entry of logs) {
        const parsed = logSchema.safeParse(entry);
        if (!parsed.success) {
          throw new DependencyError({
            code: "chain_invalid_response",
            message: "The RPC returned a vault log that does not decode.",
            details: { what: "log", fromBlock: from, toBlock: to },
            cause: parsed.error,
          });
        }
        const { id, milestones } = parsed.data.args;
        dirty.set(id, milestones ?? dirty.get(id));
      }
      const ids = [...dirty.entries()].map(([id, milestones]) => ({
        id,
        ...(milestones !== undefined ? { milestones } : {}),
      }));
      const commitments = await readAt(ids, to);
      if ((await blockHash(to)) !== endHash) {
        log.warn({ toBlock: to }, "the chain reorganised during the run; retrying next run");
        return result;
      }
      const next: Cursor = { blockNumber: to, blockHash: endHash };
      let written: { updated: number; removed: number };
      try {
        written = await commit(
          cursor,
          next,
          ids.map(({ id }, i) => ({ id, commitment: commitments[i] ?? null })),
          to,
        );
      } catch (error) {
        if (error instanceof CursorMovedError) {
          log.info("another indexer moved the cursor; stopping this run");
          return result;
        }
        throw error;
      }
      remember(next);
      result.fromBlock ??= from;
      result.toBlock = to;
      result.updated += written.updated;
      result.removed += written.removed;
      log.debug({ fromBlock: from, toBlock: to, logs: logs.length, dirty: ids.length }, "range indexed");
      cursor = next;
      from = to + 1;
      ranges++;
    }
    result.caughtUp = from > safeHead;
    return result;
  };

  return {
    runOnce: () => serialize(run),
    start(intervalMs) {
      if (loop !== undefined) return;
      loop = createPollLoop({
        name: "indexer",
        intervalMs,
        logger: log,
        run: async () => ({ again: !(await serialize(run)).caughtUp }),
        ...(sleep !== undefined ? { sleep } : {}),
      });
      loop.start();
    },
    async stop() {
      const current = loop;
      loop = undefined;
      await current?.stop();
    },
  };
}
