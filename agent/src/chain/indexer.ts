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
import { type Address, getAbiItem } from "viem";
import { z } from "zod";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import type { CommitmentRecord } from "../store/commitmentsRepository.ts";
import type { Repositories } from "../store/store.ts";
import type { ChainClient } from "./chainClient.ts";
import type { IndexerParameters, LogFollower, RowWrites, WriteCounts } from "./logFollower.ts";
import {
  contractLogs,
  createLogFollower,
  decodeLogs,
  rereadPages,
  withFollowDefaults,
} from "./logFollower.ts";
import { mapBounded } from "./mapBounded.ts";
import type { OnChainCommitment } from "./ports.ts";
import type { ViemVaultReader } from "./vaultReader.ts";

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

type DirtyCommitment = { id: bigint; milestones?: number };

export interface CreateIndexerParameters extends IndexerParameters {
  client: Pick<ChainClient, "getBlockNumber" | "getBlock" | "getLogs">;
  reader: Pick<ViemVaultReader, "readCommitment">;
  vault: Address;
}

/** `runOnce` (one bounded pass; never overlapping), `start(intervalMs)` (background, errors backed off), `stop`. */
export type Indexer = LogFollower;

export function createIndexer(parameters: CreateIndexerParameters): Indexer {
  const { client, reader, store, logger, chainId, vault } = parameters;
  const tuning = withFollowDefaults(parameters);
  const log = logger.child({ component: "indexer", chainId, vault });
  const rows = commitmentRows({ reader, store, chainId, vault, ...tuning });
  return createLogFollower({
    name: "indexer",
    client,
    store,
    log,
    cursorKey: { chainId, vault },
    ...tuning,
    rememberBlocks: true,
    source: {
      getLogs: contractLogs(client, vault, INDEXED_EVENTS),
      async readRange(logs, range) {
        const ids = dirtyCommitments(decodeLogs(logSchema, logs, range, "vault"));
        const commitments = await rows.readAt(ids, range.toBlock);
        return {
          write: (tx) => rows.writeAll(tx, ids, commitments, range.toBlock),
          dirty: ids.length,
        };
      },
      rewind: rows.rewind,
    },
  });
}

/** The commitment ids a range's events touched (with the milestone count when an event carries it). */
function dirtyCommitments(events: readonly z.output<typeof logSchema>[]): DirtyCommitment[] {
  const dirty = new Map<bigint, number | undefined>();
  for (const { args } of events) dirty.set(args.id, args.milestones ?? dirty.get(args.id));
  return [...dirty.entries()].map(([id, milestones]) => ({
    id,
    ...(milestones !== undefined ? { milestones } : {}),
  }));
}

/** Reads commitments at a block and writes them to `commitments_cache` (deleting those that do not exist). */
function commitmentRows({
  reader,
  store,
  chainId,
  vault,
  deploymentBlock,
  readConcurrency,
}: Pick<CreateIndexerParameters, "reader" | "store" | "chainId" | "vault" | "deploymentBlock"> & {
  readConcurrency: number;
}) {
  const readAt = (ids: readonly DirtyCommitment[], blockNumber: number) =>
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

  const writeAll = async (
    tx: Repositories,
    ids: readonly { id: bigint }[],
    commitments: readonly (OnChainCommitment | null)[],
    blockNumber: number,
  ): Promise<WriteCounts> => {
    const counts = { updated: 0, removed: 0 };
    for (const [i, { id }] of ids.entries()) {
      const result = await write(tx, id, commitments[i] ?? null, blockNumber);
      if (result !== "none") counts[result]++;
    }
    return counts;
  };

  /** After a reorg: reads again at `ancestorBlock` every row read above it; answers their writes. */
  const rewind = (ancestorBlock: number): Promise<RowWrites> =>
    rereadPages<CommitmentRecord, bigint, "afterId">({
      cursor: "afterId",
      list: (page) => store.commitments.listUpdatedAfter({ chainId, vault, block: ancestorBlock, ...page }),
      afterOf: (last) => last.commitmentId,
      reread: async (page) => {
        const ids = page.map((row) => ({ id: row.commitmentId }));
        // Before the deployment block the vault did not exist: nothing read above it survives.
        const commitments =
          ancestorBlock < deploymentBlock ? ids.map(() => null) : await readAt(ids, ancestorBlock);
        return (tx) => writeAll(tx, ids, commitments, ancestorBlock);
      },
    });

  return { readAt, writeAll, rewind };
}
