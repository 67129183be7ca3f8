/**
 * The engine both indexers run: follows one contract's logs block range by block range into cache rows, with
 * the cursor (last processed block and its hash) moved in the SAME store transaction as the rows derived from
 * its range, so a restart resumes exactly where the last committed range ended.
 *
 * - Bounded: `eth_getLogs` over at most `maxBlockRange` blocks (halved and retried when the RPC says the range
 *   is too large), at most `maxRangesPerRun` ranges per run, only blocks `confirmations` behind the head.
 * - Each range's end block hash is read before and after its reads, and the cursor's block is checked to be on
 *   the chain of that end block: a reorg meanwhile, or since the run checked the cursor, ends the run (the next
 *   run repairs it). Without the second check a run that found the cursor on the chain just before a reorg went
 *   on from it over the new chain, and the rows read above the cursor's block on the old one were never repaired.
 * - A repair reads every row read above the ancestor again first, then writes them and moves the cursor back in
 *   ONE transaction, under the same cursor check as every other write: when another process moved the cursor
 *   meanwhile (it repaired the same reorg, or committed a range), nothing of the repair is written. (Written page
 *   by page in transactions of their own, a second replica's repair read back to the ancestor — deleting, for
 *   rows created above it — the rows the first had already indexed again, and the lost commitments were never
 *   indexed again: an all-faults load test's unsettled milestones.)
 * - Reorg safety: each run first compares the cursor's hash with the chain's block at that height; on a
 *   mismatch it walks back to a remembered block whose hash still matches (`rememberBlocks`) or `reorgDepth`
 *   blocks, has the source re-read at that block every row read above it, and moves the cursor back there.
 * - Another process moving the cursor (checked under `FOR UPDATE`) stops the run.
 *
 * What the logs mean is the source's business (`LogFollowerSource`): which logs, what they make dirty, how
 * rows are read and written.
 */
import type { AbiEvent, Address, Hex } from "viem";
import type { z } from "zod";
import { ConflictError, DependencyError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Repositories, Store } from "../store/store.ts";
import type { ChainClient } from "./chainClient.ts";
import { isRangeTooLarge, rpcFailure } from "./chainErrors.ts";
import { type BackgroundTask, createBackgroundTask } from "./pollLoop.ts";
import { createSerializer } from "./serialize.ts";
import type { Sleep } from "./sleep.ts";

export interface WriteCounts {
  /** Cache rows written. */
  updated: number;
  /** Cache rows deleted (taken away by a reorg). */
  removed: number;
}

export interface BlockRange {
  fromBlock: number;
  toBlock: number;
}

/** What the follower asks of the contract-specific side. */
export interface LogFollowerSource<TLog> {
  /** The contract's followed events over the range (`eth_getLogs`; errors are the RPC's, not wrapped). */
  getLogs(range: BlockRange): Promise<readonly TLog[]>;
  /**
   * Decodes a range's logs and reads what they touched AT `range.toBlock`; returns the writes to commit with
   * the cursor and how many items were dirty (for the log).
   */
  readRange(logs: readonly TLog[], range: BlockRange): Promise<{ write: RowWrites; dirty: number }>;
  /**
   * After a reorg: reads again at `ancestorBlock` every cached row read above it, and returns the writes (each
   * row as read there, deleted when it did not exist yet), which the follower commits with the cursor's move back
   * to the ancestor, in one transaction.
   */
  rewind(ancestorBlock: number): Promise<RowWrites>;
}

/** Writes a source read, committed by the follower in the transaction that moves the cursor. */
export type RowWrites = (tx: Repositories) => Promise<WriteCounts>;

/** How an indexer follows its contract (every indexer's parameters). */
export interface LogFollowerOptions {
  /** The contract's deployment block: where indexing starts when there is no cursor. */
  deploymentBlock: number;
  /** Blocks behind the head that are not processed yet. Default 2 (0 is fine on a local chain). */
  confirmations?: number;
  /** Most blocks per `eth_getLogs`. Default 2 000. */
  maxBlockRange?: number;
  /** Most ranges per `runOnce`. Default 10. */
  maxRangesPerRun?: number;
  /** How far back a reorg is assumed to reach when no remembered block matches. Default 64. */
  reorgDepth?: number;
  /** Cached items read in parallel. Default 8. */
  readConcurrency?: number;
  /** For the background loop's waits. */
  sleep?: Sleep;
}

/** What every indexer is built from, besides its client and the contract it follows. */
export interface IndexerParameters extends LogFollowerOptions {
  store: Store;
  logger: Logger;
  chainId: number;
}

/** A log as `eth_getLogs` returns it (decoded by the source with `decodeLogs`). */
export type ContractLog = Awaited<ReturnType<Pick<ChainClient, "getLogs">["getLogs"]>>[number];

/** A source's `getLogs`: `events` of the contract at `address` over a range (strict: undecodable logs dropped). */
export function contractLogs(
  client: Pick<ChainClient, "getLogs">,
  address: Address,
  events: readonly AbiEvent[],
): (range: BlockRange) => Promise<ContractLog[]> {
  return ({ fromBlock, toBlock }) =>
    client.getLogs({ address, events, fromBlock: BigInt(fromBlock), toBlock: BigInt(toBlock), strict: true });
}

/** The options with their defaults. */
export function withFollowDefaults(options: LogFollowerOptions) {
  return {
    deploymentBlock: options.deploymentBlock,
    confirmations: options.confirmations ?? 2,
    maxBlockRange: options.maxBlockRange ?? 2_000,
    maxRangesPerRun: options.maxRangesPerRun ?? 10,
    reorgDepth: options.reorgDepth ?? 64,
    readConcurrency: options.readConcurrency ?? 8,
    sleep: options.sleep,
  };
}

export interface LogFollowerRunResult extends WriteCounts {
  /** First block processed by this run, null when there was nothing new. */
  fromBlock: number | null;
  /** Last block processed (the cursor now), null when there was nothing new. */
  toBlock: number | null;
  /** A reorg was detected (and repaired, unless another process moved the cursor first: then the run stopped). */
  reorg: boolean;
  /** The cursor reached the confirmed head. */
  caughtUp: boolean;
}

export interface LogFollower extends BackgroundTask {
  /** One bounded pass; runs never overlap (a second call waits for the first). */
  runOnce(): Promise<LogFollowerRunResult>;
}

export interface CreateLogFollowerParameters<TLog> {
  /** The background loop's name (`indexer`, `challenge-indexer`). */
  name: string;
  client: Pick<ChainClient, "getBlockNumber" | "getBlock">;
  store: Store;
  log: Logger;
  /** The cursor's key (`vault` is the followed contract's address). */
  cursorKey: { chainId: number; vault: Address };
  /** Where following starts when there is no cursor. */
  deploymentBlock: number;
  confirmations: number;
  maxBlockRange: number;
  maxRangesPerRun: number;
  reorgDepth: number;
  /** Remember committed blocks' hashes to find a reorg's common ancestor (else always `reorgDepth` back). */
  rememberBlocks: boolean;
  source: LogFollowerSource<TLog>;
  sleep?: Sleep | undefined;
}

interface Cursor {
  blockNumber: number;
  blockHash: Hex;
}

const REMEMBERED_BLOCKS = 128;
const MAX_RANGE_HALVINGS = 32;
const REPAIR_PAGE = 200;
/**
 * 1 000 pages of 200: far more rows than `reorgDepth` blocks can touch (a repair holds what it read until its
 * one commit: at most ~200 000 rows, about 1 KB each for a commitment of a few milestones, more with many).
 */
const MAX_REPAIR_PAGES = 1_000;

class CursorMovedError extends ConflictError {}

export function createLogFollower<TLog>(parameters: CreateLogFollowerParameters<TLog>): LogFollower {
  const serialize = createSerializer();
  const run = runOf(parameters);
  const task = createBackgroundTask({
    name: parameters.name,
    logger: parameters.log,
    run: async () => ({ again: !(await serialize(run)).caughtUp }),
    sleep: parameters.sleep,
  });
  return { runOnce: () => serialize(run), start: task.start, stop: task.stop };
}

/** One run: check the cursor (repairing a reorg), then follow ranges up to the confirmed head. */
function runOf<TLog>(p: CreateLogFollowerParameters<TLog>): () => Promise<LogFollowerRunResult> {
  const chain = blockHashes(p.client);
  /**
   * Hashes of the cursors the cache went through (newest last), for finding a reorg's common ancestor. Only blocks
   * the cache's rows were read on count: an entry from a branch the cache has left (a repair went below it, or
   * another process moved the cursor, possibly onto another branch) could match again if that branch wins back,
   * and a repair that stopped there would keep rows read on the other branch and never index the rows it deleted.
   */
  const remembered = new Map<number, Hex>();
  /** The cursor as this process last wrote or saw it (another process moved it when the stored one differs). */
  let lastSeen: Cursor | null = null;
  const remember = (cursor: Cursor) => {
    lastSeen = cursor;
    if (!p.rememberBlocks) return;
    remembered.delete(cursor.blockNumber);
    remembered.set(cursor.blockNumber, cursor.blockHash);
    if (remembered.size > REMEMBERED_BLOCKS) {
      const oldest = remembered.keys().next();
      if (oldest.done !== true) remembered.delete(oldest.value);
    }
  };
  /** The stored cursor is not the one this process left: its remembered blocks may be another branch's. */
  const forgetIfMovedElsewhere = (stored: Cursor | null) => {
    if (stored === null || !sameCursor(stored, lastSeen)) remembered.clear();
    lastSeen = stored;
  };
  const forgetAbove = (blockNumber: number) => {
    for (const number of [...remembered.keys()]) if (number > blockNumber) remembered.delete(number);
  };

  /** The newest block at or below the cursor that is still on the chain (or `reorgDepth` back). */
  const findAncestor = async (cursorBlock: number, head: number): Promise<Cursor> => {
    const floor = Math.max(p.deploymentBlock - 1, 0);
    const candidates = [...remembered.entries()]
      .filter(([number]) => number < cursorBlock && number <= head && number >= floor)
      .sort(([a], [b]) => b - a);
    for (const [number, hash] of candidates) {
      if ((await chain.hashAt(number)) === hash) return { blockNumber: number, blockHash: hash };
    }
    const fallback = Math.max(Math.min(cursorBlock - p.reorgDepth, head), floor);
    return { blockNumber: fallback, blockHash: await chain.requireHash(fallback) };
  };

  /** After a reorg: the source re-reads every row read above the ancestor, then the cursor moves back there. */
  const repair = async (stale: Cursor, ancestor: Cursor): Promise<WriteCounts> => {
    const write = await p.source.rewind(ancestor.blockNumber);
    const counts = await commitWithCursor(p, stale, ancestor, write);
    forgetAbove(ancestor.blockNumber);
    remember(ancestor);
    p.log.warn(
      { staleBlock: stale.blockNumber, ancestorBlock: ancestor.blockNumber, ...counts },
      "reorg detected; cache rewound to the common ancestor",
    );
    return counts;
  };

  return async () => {
    const result: LogFollowerRunResult = {
      fromBlock: null,
      toBlock: null,
      updated: 0,
      removed: 0,
      reorg: false,
      caughtUp: false,
    };
    const head = await chain.head();
    const stored = await p.store.indexerCursor.get(p.cursorKey);
    let cursor: Cursor | null =
      stored === null ? null : { blockNumber: stored.blockNumber, blockHash: stored.blockHash };
    forgetIfMovedElsewhere(cursor);
    if (cursor !== null) {
      if ((await chain.hashAt(cursor.blockNumber)) === cursor.blockHash) {
        remember(cursor);
      } else {
        result.reorg = true;
        const ancestor = await findAncestor(cursor.blockNumber, head);
        try {
          addCounts(result, await repair(cursor, ancestor));
        } catch (error) {
          if (error instanceof CursorMovedError) {
            p.log.info(
              { staleBlock: cursor.blockNumber, ancestorBlock: ancestor.blockNumber },
              "another indexer moved the cursor during the reorg repair; stopping this run",
            );
            return result;
          }
          throw error;
        }
        cursor = ancestor;
      }
    }
    await followRanges(p, chain, { result, cursor, safeHead: head - p.confirmations, remember });
    return result;
  };
}

/** Ranges from the cursor up to `safeHead`, at most `maxRangesPerRun`, each committed with the cursor. */
async function followRanges<TLog>(
  p: CreateLogFollowerParameters<TLog>,
  chain: BlockHashes,
  state: {
    result: LogFollowerRunResult;
    cursor: Cursor | null;
    safeHead: number;
    remember: (cursor: Cursor) => void;
  },
): Promise<void> {
  const { result, safeHead } = state;
  let cursor = state.cursor;
  let from = cursor === null ? p.deploymentBlock : cursor.blockNumber + 1;
  let rangeSize = p.maxBlockRange;
  let halvings = 0;
  for (let ranges = 0; ranges < p.maxRangesPerRun && from <= safeHead; ) {
    const range = { fromBlock: from, toBlock: Math.min(from + rangeSize - 1, safeHead) };
    const to = range.toBlock;
    const endHash = await chain.requireHash(to);
    // The range goes on from the cursor: its block must be on the chain whose end block is `endHash` (that
    // chain stays the same up to `to` while the hash of `to` does, checked after the reads).
    if (cursor !== null && (await chain.hashAt(cursor.blockNumber)) !== cursor.blockHash) {
      p.log.warn(
        { cursorBlock: cursor.blockNumber },
        "the chain reorganised under the cursor during the run; repairing next run",
      );
      return;
    }
    let logs: readonly TLog[];
    try {
      logs = await p.source.getLogs(range);
    } catch (error) {
      if (isRangeTooLarge(error) && to > from && halvings < MAX_RANGE_HALVINGS) {
        halvings++;
        rangeSize = Math.max(1, Math.floor((to - from + 1) / 2));
        p.log.info({ fromBlock: from, toBlock: to, rangeSize }, "log range too large; halving it");
        continue;
      }
      throw rpcFailure("eth_getLogs", error);
    }
    const { write, dirty } = await p.source.readRange(logs, range);
    if ((await chain.hashAt(to)) !== endHash) {
      p.log.warn({ toBlock: to }, "the chain reorganised during the run; retrying next run");
      return;
    }
    const next: Cursor = { blockNumber: to, blockHash: endHash };
    try {
      addCounts(result, await commitWithCursor(p, cursor, next, write));
    } catch (error) {
      if (error instanceof CursorMovedError) {
        p.log.info("another indexer moved the cursor; stopping this run");
        return;
      }
      throw error;
    }
    state.remember(next);
    result.fromBlock ??= from;
    result.toBlock = to;
    p.log.debug({ fromBlock: from, toBlock: to, logs: logs.length, dirty }, "range indexed");
    cursor = next;
    from = to + 1;
    ranges++;
  }
  result.caughtUp = from > safeHead;
}

function sameCursor(a: Cursor, b: Cursor | null): boolean {
  return b !== null && a.blockNumber === b.blockNumber && a.blockHash === b.blockHash;
}

function addCounts(into: WriteCounts, counts: WriteCounts) {
  into.updated += counts.updated;
  into.removed += counts.removed;
}

/** Commits rows and the new cursor together, if the cursor is still where this run found it. */
function commitWithCursor(
  p: Pick<CreateLogFollowerParameters<unknown>, "store" | "cursorKey">,
  expected: Cursor | null,
  next: Cursor,
  write: RowWrites,
): Promise<WriteCounts> {
  return underCursor(p, expected, async (tx) => {
    const written = await write(tx);
    if (expected !== null) {
      await tx.indexerCursor.set({ ...p.cursorKey, ...next });
    } else if ((await tx.indexerCursor.create({ ...p.cursorKey, ...next })) === null) {
      // No row to lock when there is no cursor yet: two first commits are told apart by the insert.
      throw cursorMoved();
    }
    return written;
  });
}

/**
 * `work` in a store transaction holding the cursor's row (`FOR UPDATE`: every follower's write of this cursor's
 * rows takes it first, so they are serialised; before the first cursor exists, `commitWithCursor`'s insert does),
 * if the cursor is `expected`; else CursorMovedError and nothing is written.
 */
function underCursor(
  p: Pick<CreateLogFollowerParameters<unknown>, "store" | "cursorKey">,
  expected: Cursor | null,
  work: RowWrites,
): Promise<WriteCounts> {
  return p.store.transaction(async (tx) => {
    const current = await tx.indexerCursor.get(p.cursorKey, { forUpdate: true });
    const unchanged =
      expected === null
        ? current === null
        : current !== null &&
          current.blockNumber === expected.blockNumber &&
          current.blockHash === expected.blockHash;
    if (!unchanged) throw cursorMoved();
    return work(tx);
  });
}

const cursorMoved = () =>
  new CursorMovedError({
    code: "indexer_cursor_moved",
    message: "Another indexer moved the cursor; this run stops.",
  });

interface BlockHashes {
  head(): Promise<number>;
  /** The chain's hash at `blockNumber`, or null when it has no such block (any more). */
  hashAt(blockNumber: number): Promise<Hex | null>;
  requireHash(blockNumber: number): Promise<Hex>;
}

function blockHashes(client: CreateLogFollowerParameters<unknown>["client"]): BlockHashes {
  const hashAt = async (blockNumber: number): Promise<Hex | null> => {
    try {
      const block = await client.getBlock({ blockNumber: BigInt(blockNumber) });
      return block.hash === null ? null : (block.hash.toLowerCase() as Hex);
    } catch (error) {
      if ((error as { name?: unknown }).name === "BlockNotFoundError") return null;
      throw rpcFailure("block lookup", error);
    }
  };
  return {
    async head() {
      try {
        return Number(await client.getBlockNumber({ cacheTime: 0 }));
      } catch (error) {
        throw rpcFailure("block number", error);
      }
    },
    hashAt,
    async requireHash(blockNumber) {
      const hash = await hashAt(blockNumber);
      if (hash === null) {
        throw new DependencyError({
          code: "chain_block_missing",
          message: `The RPC has no block ${blockNumber} (it reported a higher head).`,
          details: { blockNumber },
        });
      }
      return hash;
    },
  };
}

/** Decodes each log with `schema`; a log that does not decode is the RPC's fault (DependencyError). */
export function decodeLogs<S extends z.ZodType>(
  schema: S,
  logs: readonly unknown[],
  range: BlockRange,
  what: string,
): z.output<S>[] {
  return logs.map((entry) => {
    const parsed = schema.safeParse(entry);
    if (!parsed.success) {
      throw new DependencyError({
        code: "chain_invalid_response",
        message: `The RPC returned a ${what} log that does not decode.`,
        details: { what: "log", ...range },
        cause: parsed.error,
      });
    }
    return parsed.data;
  });
}

/**
 * Reads cached rows again page by page (a reorg's repair): `list` pages through the rows read above a block (the
 * page's `cursor` key, absent on the first page, is the previous page's last row's `afterOf`), `reread` reads one
 * page again and answers its writes; the writes of every page are returned as one, to be committed together.
 * Bounded: every page is listed (from the store alone) before any is read again, and a repair of more than
 * `MAX_REPAIR_PAGES` pages fails before reading anything (committing part of it would leave rows read on the
 * abandoned branch).
 */
export async function rereadPages<Row, After, Key extends string>({
  cursor,
  list,
  afterOf,
  reread,
}: {
  cursor: Key;
  list: (page: RepairPage<Key, After>) => Promise<Row[]>;
  afterOf: (last: Row) => After;
  reread: (rows: Row[]) => Promise<RowWrites>;
}): Promise<RowWrites> {
  const pages: Row[][] = [];
  let after: After | undefined;
  for (;;) {
    const next = after === undefined ? {} : { [cursor]: after };
    const rows = await list({ limit: REPAIR_PAGE, ...next } as RepairPage<Key, After>);
    const last = rows.at(-1);
    if (last === undefined) break;
    if (pages.length === MAX_REPAIR_PAGES) {
      throw new DependencyError({
        code: "reorg_repair_too_large",
        message: `A reorg repair would read more than ${MAX_REPAIR_PAGES * REPAIR_PAGE} cached rows again.`,
        details: { limit: MAX_REPAIR_PAGES * REPAIR_PAGE },
      });
    }
    pages.push(rows);
    after = afterOf(last);
    if (rows.length < REPAIR_PAGE) break;
  }
  const writes: RowWrites[] = [];
  for (const rows of pages) writes.push(await reread(rows));
  return async (tx) => {
    const total = { updated: 0, removed: 0 };
    for (const write of writes) addCounts(total, await write(tx));
    return total;
  };
}

/** One page of a repair's list query: at most `limit` rows after the one `Key` names (when there is one). */
export type RepairPage<Key extends string, After> = { limit: number } & { [K in Key]?: After };
