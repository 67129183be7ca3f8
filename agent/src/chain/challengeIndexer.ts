/**
 * Follows a ChallengePool's events (ChallengeCreated, Joined, ParticipantSettled, WinningsClaimed) into
 * `challenges_cache` and `challenge_participants_cache`. As with the vault indexer, events only mark challenges
 * and participants dirty; each is then read in full AT the range's last block (`challenge`, `statusOf`,
 * `commitmentOf`, `winningsOf`) and upserted, in the same store transaction as the cursor (keyed by the pool's
 * address), so reprocessing a range is idempotent. Bounded: at most `maxBlockRange` blocks per `eth_getLogs`,
 * `maxRangesPerRun` ranges per run. On a reorg (the cursor's hash is no longer the chain's) the cursor goes
 * back `reorgDepth` blocks and every row read above that block is read again there (or deleted).
 */
import { type Address, getAbiItem, type Hex } from "viem";
import { z } from "zod";
import { challengePoolAbi } from "../../../deployments/abi.ts";
import { ConflictError, DependencyError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { ChallengeInput, ParticipantInput } from "../store/challengesRepository.ts";
import type { ChallengeParticipantStatus } from "../store/schema.ts";
import type { Repositories, Store } from "../store/store.ts";
import type { ChainClient } from "./chainClient.ts";
import { isRangeTooLarge, rpcFailure } from "./chainErrors.ts";
import { mapBounded } from "./mapBounded.ts";
import { createPollLoop, type PollLoop } from "./pollLoop.ts";
import { createSerializer } from "./serialize.ts";
import type { Sleep } from "./sleep.ts";

export interface CreateChallengeIndexerParameters {
  client: Pick<ChainClient, "getBlockNumber" | "getBlock" | "getLogs" | "readContract">;
  store: Store;
  logger: Logger;
  chainId: number;
  pool: Address;
  /** The pool's deployment block: where indexing starts when there is no cursor. */
  deploymentBlock: number;
  /** Default 2. */
  confirmations?: number;
  /** Default 2 000. */
  maxBlockRange?: number;
  /** Default 10. */
  maxRangesPerRun?: number;
  /** Default 64. */
  reorgDepth?: number;
  /** Reads in parallel. Default 8. */
  readConcurrency?: number;
  sleep?: Sleep;
}

export interface ChallengeIndexerRunResult {
  fromBlock: number | null;
  toBlock: number | null;
  /** Rows (challenges and participants) written. */
  updated: number;
  /** Rows deleted (taken away by a reorg). */
  removed: number;
  reorg: boolean;
  caughtUp: boolean;
}

export interface ChallengeIndexer {
  runOnce(): Promise<ChallengeIndexerRunResult>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

export const CHALLENGE_EVENTS = [
  getAbiItem({ abi: challengePoolAbi, name: "ChallengeCreated" }),
  getAbiItem({ abi: challengePoolAbi, name: "Joined" }),
  getAbiItem({ abi: challengePoolAbi, name: "ParticipantSettled" }),
  getAbiItem({ abi: challengePoolAbi, name: "WinningsClaimed" }),
] as const;

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const logSchema = z.object({
  eventName: z.enum(["ChallengeCreated", "Joined", "ParticipantSettled", "WinningsClaimed"]),
  args: z.looseObject({
    challengeId: z.bigint().min(1n),
    creator: address.optional(),
    participant: address.optional(),
  }),
});

/** `IChallengePool.Status` by its uint8 value; None (0) means "not a participant". */
const STATUSES: readonly (ChallengeParticipantStatus | null)[] = [
  null,
  "joined",
  "out",
  "finished",
  "claimed",
];
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const REPAIR_PAGE = 200;
const MAX_REPAIR_PAGES = 1_000;
const MAX_RANGE_HALVINGS = 32;

interface Cursor {
  blockNumber: number;
  blockHash: Hex;
}

type ChallengeRead = Omit<ChallengeInput, "creator" | "updatedBlock"> | null;
type ParticipantRead = Omit<ParticipantInput, "updatedBlock"> | null;

class CursorMovedError extends ConflictError {}

export function createChallengeIndexer({
  client,
  store,
  logger,
  chainId,
  pool,
  deploymentBlock,
  confirmations = 2,
  maxBlockRange = 2_000,
  maxRangesPerRun = 10,
  reorgDepth = 64,
  readConcurrency = 8,
  sleep,
}: CreateChallengeIndexerParameters): ChallengeIndexer {
  const key = { chainId, vault: pool };
  const log = logger.child({ component: "challenge-indexer", chainId, pool });
  const serialize = createSerializer();
  let loop: PollLoop | undefined;

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

  const read = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw rpcFailure(what, error);
    }
  };

  const readChallenges = async (ids: readonly bigint[], blockNumber: number): Promise<ChallengeRead[]> => {
    if (blockNumber < deploymentBlock) return ids.map(() => null);
    const at = BigInt(blockNumber);
    const count = await read("challengeCount", () =>
      client.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "challengeCount",
        blockNumber: at,
      }),
    );
    return mapBounded(ids, readConcurrency, async (challengeId) => {
      if (challengeId > count) return null;
      const [p, participants, settled, finishers, pot] = await read("challenge", () =>
        client.readContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "challenge",
          args: [challengeId],
          blockNumber: at,
        }),
      );
      return {
        chainId,
        pool,
        challengeId,
        token: p.token,
        stake: p.stake,
        start: Number(p.start),
        period: p.period,
        milestones: p.milestones,
        grace: p.grace,
        rulesHash: p.rulesHash,
        joinDeadline: Number(p.joinDeadline),
        maxParticipants: p.maxParticipants,
        feeBps: p.feeBps,
        feeRecipient: p.feeRecipient,
        fallbackBeneficiary: p.fallbackBeneficiary,
        participants,
        settled,
        finishers,
        pot,
      };
    });
  };

  const readParticipants = async (
    keys: readonly { challengeId: bigint; participant: Address }[],
    blockNumber: number,
  ): Promise<ParticipantRead[]> => {
    if (blockNumber < deploymentBlock) return keys.map(() => null);
    const at = BigInt(blockNumber);
    return mapBounded(keys, readConcurrency, async ({ challengeId, participant }) => {
      const args = [challengeId, participant] as const;
      const base = { address: pool, abi: challengePoolAbi, args, blockNumber: at } as const;
      const status = await read("statusOf", () => client.readContract({ ...base, functionName: "statusOf" }));
      const named = STATUSES[status];
      if (named === null || named === undefined) return null;
      const [commitmentId, winnings] = await Promise.all([
        read("commitmentOf", () => client.readContract({ ...base, functionName: "commitmentOf" })),
        read("winningsOf", () => client.readContract({ ...base, functionName: "winningsOf" })),
      ]);
      return { chainId, pool, challengeId, participant, commitmentId, status: named, winnings };
    });
  };

  interface Writes {
    challenges: { challengeId: bigint; creator: Address; read: ChallengeRead }[];
    participants: { challengeId: bigint; participant: Address; read: ParticipantRead }[];
  }

  const write = async (tx: Repositories, writes: Writes, blockNumber: number) => {
    let updated = 0;
    let removed = 0;
    for (const { challengeId, creator, read: row } of writes.challenges) {
      if (row === null) {
        if (await tx.challenges.delete({ chainId, pool, challengeId })) removed++;
      } else {
        await tx.challenges.upsert({ ...row, creator, updatedBlock: blockNumber });
        updated++;
      }
    }
    for (const { challengeId, participant, read: row } of writes.participants) {
      if (row === null) {
        if (await tx.challenges.deleteParticipant({ chainId, pool, challengeId, participant })) removed++;
      } else {
        await tx.challenges.upsertParticipant({ ...row, updatedBlock: blockNumber });
        updated++;
      }
    }
    return { updated, removed };
  };

  const commit = (expected: Cursor | null, next: Cursor, writes: Writes, readBlock: number) =>
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
      const written = await write(tx, writes, readBlock);
      await tx.indexerCursor.set({ ...key, ...next });
      return written;
    });

  /** Reads again, at `ancestor`, every row read above it; then moves the cursor back there. */
  const repair = async (stale: Cursor, ancestor: Cursor) => {
    let updated = 0;
    let removed = 0;
    let afterId: bigint | undefined;
    for (let page = 0; page < MAX_REPAIR_PAGES; page++) {
      const rows = await store.challenges.listUpdatedAfter({
        chainId,
        pool,
        block: ancestor.blockNumber,
        limit: REPAIR_PAGE,
        ...(afterId !== undefined ? { afterId } : {}),
      });
      const last = rows.at(-1);
      if (last === undefined) break;
      afterId = last.challengeId;
      const reads = await readChallenges(
        rows.map((row) => row.challengeId),
        ancestor.blockNumber,
      );
      const writes: Writes = {
        challenges: rows.map((row, i) => ({
          challengeId: row.challengeId,
          creator: row.creator,
          read: reads[i] ?? null,
        })),
        participants: [],
      };
      const counts = await store.transaction((tx) => write(tx, writes, ancestor.blockNumber));
      updated += counts.updated;
      removed += counts.removed;
    }
    let after: { challengeId: bigint; participant: string } | undefined;
    for (let page = 0; page < MAX_REPAIR_PAGES; page++) {
      const rows = await store.challenges.listParticipantsUpdatedAfter({
        chainId,
        pool,
        block: ancestor.blockNumber,
        limit: REPAIR_PAGE,
        ...(after !== undefined ? { after } : {}),
      });
      const last = rows.at(-1);
      if (last === undefined) break;
      after = { challengeId: last.challengeId, participant: last.participant };
      const reads = await readParticipants(rows, ancestor.blockNumber);
      const writes: Writes = {
        challenges: [],
        participants: rows.map((row, i) => ({
          challengeId: row.challengeId,
          participant: row.participant,
          read: reads[i] ?? null,
        })),
      };
      const counts = await store.transaction((tx) => write(tx, writes, ancestor.blockNumber));
      updated += counts.updated;
      removed += counts.removed;
    }
    await commit(stale, ancestor, { challenges: [], participants: [] }, ancestor.blockNumber);
    log.warn(
      { staleBlock: stale.blockNumber, ancestorBlock: ancestor.blockNumber, updated, removed },
      "reorg detected; challenge cache rewound",
    );
    return { updated, removed };
  };

  const getLogs = (fromBlock: number, toBlock: number) =>
    client.getLogs({
      address: pool,
      events: CHALLENGE_EVENTS,
      fromBlock: BigInt(fromBlock),
      toBlock: BigInt(toBlock),
      strict: true,
    });

  const run = async (): Promise<ChallengeIndexerRunResult> => {
    const result: ChallengeIndexerRunResult = {
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
    if (cursor !== null && (await blockHash(cursor.blockNumber)) !== cursor.blockHash) {
      result.reorg = true;
      const floor = Math.max(deploymentBlock - 1, 0);
      const back = Math.max(Math.min(cursor.blockNumber - reorgDepth, head), floor);
      const ancestor = { blockNumber: back, blockHash: await requireHash(back) };
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
          continue;
        }
        throw rpcFailure("eth_getLogs", error);
      }
      const challenges = new Map<bigint, Address | undefined>();
      const participants = new Map<string, { challengeId: bigint; participant: Address }>();
      for (const entry of logs) {
        const parsed = logSchema.safeParse(entry);
        if (!parsed.success) {
          throw new DependencyError({
            code: "chain_invalid_response",
            message: "The RPC returned a challenge pool log that does not decode.",
            details: { what: "log", fromBlock: from, toBlock: to },
            cause: parsed.error,
          });
        }
        const { challengeId, creator, participant } = parsed.data.args;
        const known = challenges.get(challengeId);
        challenges.set(challengeId, known ?? (creator?.toLowerCase() as Address | undefined));
        if (participant !== undefined) {
          const lower = participant.toLowerCase() as Address;
          participants.set(`${challengeId}:${lower}`, { challengeId, participant: lower });
        }
      }
      const challengeIds = [...challenges.keys()];
      const participantKeys = [...participants.values()];
      const creators = await mapBounded(challengeIds, readConcurrency, async (challengeId) => {
        const creator = challenges.get(challengeId);
        if (creator !== undefined) return creator;
        return (await store.challenges.get({ chainId, pool, challengeId }))?.creator ?? ZERO;
      });
      const challengeReads = await readChallenges(challengeIds, to);
      const participantReads = await readParticipants(participantKeys, to);
      if ((await blockHash(to)) !== endHash) {
        log.warn({ toBlock: to }, "the chain reorganised during the run; retrying next run");
        return result;
      }
      const next: Cursor = { blockNumber: to, blockHash: endHash };
      const writes: Writes = {
        challenges: challengeIds.map((challengeId, i) => ({
          challengeId,
          creator: creators[i] ?? ZERO,
          read: challengeReads[i] ?? null,
        })),
        participants: participantKeys.map((k, i) => ({ ...k, read: participantReads[i] ?? null })),
      };
      let written: { updated: number; removed: number };
      try {
        written = await commit(cursor, next, writes, to);
      } catch (error) {
        if (error instanceof CursorMovedError) {
          log.info("another indexer moved the cursor; stopping this run");
          return result;
        }
        throw error;
      }
      result.fromBlock ??= from;
      result.toBlock = to;
      result.updated += written.updated;
      result.removed += written.removed;
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
        name: "challenge-indexer",
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
