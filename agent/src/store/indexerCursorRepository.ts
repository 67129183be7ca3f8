/**
 * Where the indexer stopped, per (chain id, vault): the last fully processed block and its hash. On the next
 * run the indexer compares that hash with the chain's block at the same height to detect a reorg. Set it in
 * the same `store.transaction` as the rows derived from those blocks, so both move together or not at all.
 */
import type { Address, Hex } from "viem";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull, onlyRow, onVault, parsedMethod } from "./repositoryMethods.ts";
import { indexerCursor } from "./schema.ts";
import { bytes32Schema, parseInput, safeUintSchema, toHex } from "./values.ts";
import { type VaultKey, vaultKeySchema, vaultOf } from "./vaultKeys.ts";

export type IndexerCursorKey = VaultKey;

export interface IndexerCursorInput extends IndexerCursorKey {
  blockNumber: number;
  blockHash: string;
}

export interface IndexerCursorRecord {
  chainId: number;
  vault: Address;
  blockNumber: number;
  blockHash: Hex;
  updatedAt: Date;
}

export interface GetIndexerCursorOptions {
  /** Lock the row until the surrounding transaction ends (`select ... for update`). */
  forUpdate?: boolean;
}

export interface IndexerCursorRepository {
  get(key: IndexerCursorKey, options?: GetIndexerCursorOptions): Promise<IndexerCursorRecord | null>;
  /** Creates or moves the cursor (forwards, or backwards after a reorg). */
  set(cursor: IndexerCursorInput): Promise<IndexerCursorRecord>;
  /**
   * Creates the cursor when there is none; null when there is one (another process created it first: a concurrent
   * create waits for the other transaction and then finds its row).
   */
  create(cursor: IndexerCursorInput): Promise<IndexerCursorRecord | null>;
}

const cursorSchema = vaultKeySchema.extend({ blockNumber: safeUintSchema, blockHash: bytes32Schema });

function toRecord(row: typeof indexerCursor.$inferSelect): IndexerCursorRecord {
  return {
    ...vaultOf(row),
    blockNumber: row.blockNumber,
    blockHash: toHex(row.blockHash),
    updatedAt: row.updatedAt,
  };
}

export function createIndexerCursorRepository(db: DatabaseExecutor, clock: Clock): IndexerCursorRepository {
  return {
    get: async (key, options = {}) => {
      const { chainId, vault } = parseInput(vaultKeySchema, key, "indexer cursor key");
      return withDatabaseErrors("indexer cursor lookup", async () => {
        const query = db
          .select()
          .from(indexerCursor)
          .where(onVault(indexerCursor, { chainId, vault }))
          .limit(1);
        const rows = options.forUpdate === true ? await query.for("update") : await query;
        return firstOrNull(rows, toRecord);
      });
    },

    set: parsedMethod(cursorSchema, "indexer cursor", "indexer cursor update", async (input) => {
      const updatedAt = new Date(clock.now());
      const rows = await db
        .insert(indexerCursor)
        .values({ ...input, updatedAt })
        .onConflictDoUpdate({
          target: [indexerCursor.chainId, indexerCursor.vault],
          set: { blockNumber: input.blockNumber, blockHash: input.blockHash, updatedAt },
        })
        .returning();
      return onlyRow(rows, toRecord);
    }),

    create: parsedMethod(cursorSchema, "indexer cursor", "indexer cursor create", async (input) => {
      const rows = await db
        .insert(indexerCursor)
        .values({ ...input, updatedAt: new Date(clock.now()) })
        .onConflictDoNothing({ target: [indexerCursor.chainId, indexerCursor.vault] })
        .returning();
      return firstOrNull(rows, toRecord);
    }),
  };
}
