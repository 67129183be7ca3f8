/**
 * The transactions the claim relayer and the keeper send, one row per milestone they settle (a keeper batch
 * gives several rows the same tx hash). `(chain_id, vault, kind, commitment_id, milestone_index)` is unique:
 * a sender inserts the row with `insertIfAbsent` BEFORE signing, and only the caller that created it (or
 * reopened a failed one with `reopen`) may send, so a milestone is never submitted twice across calls,
 * replicas and restarts. Each signed attempt (gas bumps included) is recorded before it is broadcast.
 */
import { and, asc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { firstOrNull, onVault, parsedMethod, parsedPageMethod } from "./repositoryMethods.ts";
import {
  type ChainTransactionKind,
  type ChainTransactionStatus,
  chainTransactionKinds,
  chainTransactionStatuses,
  chainTransactions,
} from "./schema.ts";
import {
  addressSchema,
  bytes32Schema,
  dateSchema,
  jsonObjectSchema,
  safeUintSchema,
  toAddress,
  toHex,
  uint256Schema,
} from "./values.ts";
import { type VaultKey, vaultKeySchema, vaultOf } from "./vaultKeys.ts";

/** Most rows one update or one `listForCommitments` call may name. */
export const CHAIN_TRANSACTIONS_BATCH_MAX = 500;

export interface ChainTransactionKey extends VaultKey {
  kind: ChainTransactionKind;
  commitmentId: bigint;
  milestoneIndex: number;
}

export interface NewChainTransaction extends ChainTransactionKey {
  /** The sending account. */
  fromAddress: string;
  details?: Record<string, unknown>;
}

export interface ChainTransactionRecord {
  id: string;
  chainId: number;
  vault: Address;
  kind: ChainTransactionKind;
  commitmentId: bigint;
  milestoneIndex: number;
  fromAddress: Address;
  nonce: number | null;
  txHash: Hex | null;
  status: ChainTransactionStatus;
  /** Signed attempts (the first send and every gas bump). */
  attempts: number;
  lastError: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface InsertChainTransactionReturnType {
  /** True when this call created the row: the caller owns the submission. */
  created: boolean;
  record: ChainTransactionRecord;
}

export interface RecordAttemptParameters {
  ids: string[];
  nonce: number;
  txHash: string;
  /**
   * Merged into the rows' details (top-level keys replaced): what the sender needs to check, bump or
   * rebroadcast the transaction.
   */
  details: Record<string, unknown>;
  /**
   * Only rows whose hash is still this one are written (null: never signed). A sender signing a new transaction
   * for a row passes the hash it last recorded, so a row another sender signed meanwhile (a replica that took over
   * its lease) is left alone; compare the rows returned with `ids`.
   */
  expectedTxHash?: string | null;
}

export interface SetStatusParameters {
  ids: string[];
  status: ChainTransactionStatus;
  /** The hash that was mined (a bump's hash when the bump won). Unchanged when absent. */
  txHash?: string;
  /** Null clears it. Unchanged when absent. */
  lastError?: string | null;
}

export interface ListPendingParameters extends VaultKey {
  kind?: ChainTransactionKind;
  /** Only rows last updated at or before this time. */
  updatedBefore?: Date;
  /** Clamped to 1..500. Default 100. */
  limit?: number;
}

export interface ListForCommitmentsParameters extends VaultKey {
  kind: ChainTransactionKind;
  /** At most 500. */
  commitmentIds: bigint[];
}

export interface ChainTransactionsRepository {
  /** Creates the milestone's row (status `pending`, no nonce or hash yet) unless one exists. */
  insertIfAbsent(transaction: NewChainTransaction): Promise<InsertChainTransactionReturnType>;
  get(key: ChainTransactionKey): Promise<ChainTransactionRecord | null>;
  /** A signed attempt: sets nonce and hash, merges details, adds one to `attempts`, status `pending`, clears the error. */
  recordAttempt(parameters: RecordAttemptParameters): Promise<ChainTransactionRecord[]>;
  setStatus(parameters: SetStatusParameters): Promise<ChainTransactionRecord[]>;
  /**
   * Takes over a `failed` or `reverted` row for a new submission (status `pending`, nonce and hash cleared,
   * attempts kept). Null when the row is absent or in another state: only one caller can reopen a row.
   */
  reopen(key: ChainTransactionKey): Promise<ChainTransactionRecord | null>;
  /** Deletes the row if nothing was ever signed for it (`attempts = 0`); true when deleted. */
  deleteUnsent(id: string): Promise<boolean>;
  /** Pending rows, least recently updated first. */
  listPending(parameters: ListPendingParameters): Promise<ChainTransactionRecord[]>;
  /** Every row (any status) of these commitments, by commitment id and milestone index. */
  listForCommitments(parameters: ListForCommitmentsParameters): Promise<ChainTransactionRecord[]>;
}

const keySchema = vaultKeySchema.extend({
  kind: z.enum(chainTransactionKinds),
  commitmentId: uint256Schema,
  milestoneIndex: z.number().int().min(0).max(103),
});

const newSchema = keySchema.extend({
  fromAddress: addressSchema,
  details: jsonObjectSchema.optional(),
});

const idsSchema = z.array(z.uuid()).min(1).max(CHAIN_TRANSACTIONS_BATCH_MAX);

const attemptSchema = z.object({
  ids: idsSchema,
  nonce: safeUintSchema,
  txHash: bytes32Schema,
  details: jsonObjectSchema,
  expectedTxHash: bytes32Schema.nullable().optional(),
});

const statusSchema = z.object({
  ids: idsSchema,
  status: z.enum(chainTransactionStatuses),
  txHash: bytes32Schema.optional(),
  lastError: z.string().max(2_000).nullable().optional(),
});

const listPendingSchema = vaultKeySchema.extend({
  kind: z.enum(chainTransactionKinds).optional(),
  updatedBefore: dateSchema.optional(),
});

const listForCommitmentsSchema = vaultKeySchema.extend({
  kind: z.enum(chainTransactionKinds),
  commitmentIds: z.array(uint256Schema).max(CHAIN_TRANSACTIONS_BATCH_MAX),
});

function toRecord(row: typeof chainTransactions.$inferSelect): ChainTransactionRecord {
  return {
    id: row.id,
    ...vaultOf(row),
    kind: row.kind,
    commitmentId: row.commitmentId,
    milestoneIndex: row.milestoneIndex,
    fromAddress: toAddress(row.fromAddress),
    nonce: row.nonce,
    txHash: row.txHash === null ? null : toHex(row.txHash),
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    details: row.details,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function keyCondition(key: z.output<typeof keySchema>) {
  return and(onVault(chainTransactions, key), eq(chainTransactions.kind, key.kind));
}

async function selectByKey(db: DatabaseExecutor, key: z.output<typeof keySchema>) {
  return firstOrNull(await db.select().from(chainTransactions).where(keyCondition(key)).limit(1), toRecord);
}

/** `insertIfAbsent`: the new pending row, or the one already there for the same action. */
async function insertIfAbsent(
  db: DatabaseExecutor,
  clock: Clock,
  input: z.output<typeof newSchema>,
): Promise<{ created: boolean; record: ChainTransactionRecord }> {
  // Bounded: a row can vanish between the conflict and the lookup only through `deleteUnsent`.
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = new Date(clock.now());
    const rows = await db
      .insert(chainTransactions)
      .values({
        chainId: input.chainId,
        vault: input.vault,
        kind: input.kind,
        commitmentId: input.commitmentId,
        milestoneIndex: input.milestoneIndex,
        fromAddress: input.fromAddress,
        status: "pending",
        attempts: 0,
        details: input.details ?? {},
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (rows[0] !== undefined) return { created: true, record: toRecord(rows[0]) };
    const existing = await selectByKey(db, input);
    if (existing !== null) return { created: false, record: existing };
  }
  throw new Error("chain transaction row kept appearing and disappearing");
}

export function createChainTransactionsRepository(
  db: DatabaseExecutor,
  clock: Clock,
): ChainTransactionsRepository {
  return {
    insertIfAbsent: parsedMethod(newSchema, "chain transaction", "chain transaction insert", (input) =>
      insertIfAbsent(db, clock, input),
    ),

    get: parsedMethod(keySchema, "chain transaction key", "chain transaction lookup", (input) =>
      selectByKey(db, input),
    ),

    recordAttempt: parsedMethod(
      attemptSchema,
      "chain transaction attempt",
      "chain transaction attempt",
      async (input) => {
        const rows = await db
          .update(chainTransactions)
          .set({
            nonce: input.nonce,
            txHash: input.txHash,
            details: sql`${chainTransactions.details} || ${JSON.stringify(input.details)}::jsonb`,
            attempts: sql`${chainTransactions.attempts} + 1`,
            status: "pending",
            lastError: null,
            updatedAt: new Date(clock.now()),
          })
          .where(
            and(
              inArray(chainTransactions.id, input.ids),
              input.expectedTxHash === undefined
                ? undefined
                : input.expectedTxHash === null
                  ? isNull(chainTransactions.txHash)
                  : eq(chainTransactions.txHash, input.expectedTxHash),
            ),
          )
          .returning();
        return rows.map(toRecord);
      },
    ),

    setStatus: parsedMethod(
      statusSchema,
      "chain transaction status",
      "chain transaction status update",
      async (input) => {
        const rows = await db
          .update(chainTransactions)
          .set({
            status: input.status,
            ...(input.txHash !== undefined ? { txHash: input.txHash } : {}),
            ...(input.lastError !== undefined ? { lastError: input.lastError } : {}),
            updatedAt: new Date(clock.now()),
          })
          .where(inArray(chainTransactions.id, input.ids))
          .returning();
        return rows.map(toRecord);
      },
    ),

    reopen: parsedMethod(keySchema, "chain transaction key", "chain transaction reopen", async (input) => {
      const rows = await db
        .update(chainTransactions)
        .set({
          status: "pending",
          nonce: null,
          txHash: null,
          lastError: null,
          updatedAt: new Date(clock.now()),
        })
        .where(and(keyCondition(input), inArray(chainTransactions.status, ["failed", "reverted"])))
        .returning();
      return firstOrNull(rows, toRecord);
    }),

    deleteUnsent: parsedMethod(z.uuid(), "chain transaction id", "chain transaction delete", async (id) => {
      const rows = await db
        .delete(chainTransactions)
        .where(and(eq(chainTransactions.id, id), eq(chainTransactions.attempts, 0)))
        .returning({ id: chainTransactions.id });
      return rows.length === 1;
    }),

    listPending: parsedPageMethod(
      listPendingSchema,
      "pending chain transactions query",
      "pending chain transactions list",
      { fallback: 100, max: 500 },
      async (input, limit) => {
        const rows = await db
          .select()
          .from(chainTransactions)
          .where(
            and(
              eq(chainTransactions.status, "pending"),
              onVault(chainTransactions, input),
              input.kind === undefined ? undefined : eq(chainTransactions.kind, input.kind),
              input.updatedBefore === undefined
                ? undefined
                : lte(chainTransactions.updatedAt, input.updatedBefore),
            ),
          )
          .orderBy(asc(chainTransactions.updatedAt), asc(chainTransactions.id))
          .limit(limit);
        return rows.map(toRecord);
      },
    ),

    listForCommitments: parsedMethod(
      listForCommitmentsSchema,
      "chain transactions query",
      "chain transactions list",
      async (input) => {
        if (input.commitmentIds.length === 0) return [];
        const rows = await db
          .select()
          .from(chainTransactions)
          .where(
            and(
              onVault(chainTransactions, input),
              eq(chainTransactions.kind, input.kind),
              inArray(chainTransactions.commitmentId, input.commitmentIds),
            ),
          )
          .orderBy(asc(chainTransactions.commitmentId), asc(chainTransactions.milestoneIndex))
          // One row per milestone: at most 104 per commitment.
          .limit(input.commitmentIds.length * 104);
        return rows.map(toRecord);
      },
    ),
  };
}
