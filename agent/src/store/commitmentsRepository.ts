/**
 * The indexer's cache of the vault's commitments, keyed by (chain id, vault, commitment id). The chain is the
 * source of truth: `upsert` overwrites the cached row with what the indexer read at `updatedBlock` (also when
 * a reorg makes it go back), so ordering is the indexer's job.
 */
import { and, asc, eq, gt, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { OnChainCommitment } from "../chain/ports.ts";
import type { Clock } from "../clock.ts";
import { ConflictError } from "../errors.ts";
import type { DatabaseExecutor } from "./database.ts";
import {
  builtOnce,
  columnPlaceholder,
  firstOrNull,
  onlyRow,
  onVault,
  parsedMethod,
  parsedPageMethod,
} from "./repositoryMethods.ts";
import {
  commitmentsCache,
  type MilestoneAppeal,
  type MilestoneState,
  milestoneStates,
  type WorkoutSource,
  workouts,
} from "./schema.ts";
import { addressSchema, bytes32Schema, safeUintSchema, toAddress, toHex, uint256Schema } from "./values.ts";
import { type VaultKey, vaultKeySchema, vaultOf } from "./vaultKeys.ts";

export const COMMITMENTS_PAGE_DEFAULT = 100;
export const COMMITMENTS_PAGE_MAX = 500;

export interface CommitmentKey extends VaultKey {
  commitmentId: bigint;
}

export interface CommitmentInput extends CommitmentKey {
  owner: string;
  token: string;
  amount: bigint;
  /** Unix seconds. */
  start: number;
  /** Seconds. */
  period: number;
  milestones: number;
  /** Seconds. */
  grace: number;
  beneficiary: string;
  rulesHash: string;
  closed: boolean;
  /** One entry per milestone, in order. */
  milestoneStates: MilestoneState[];
  /** The milestones' appeals (v2), by ascending index; none when absent. */
  appeals?: MilestoneAppeal[];
  updatedBlock: number;
}

/** A commitment as the store keeps it: what the vault reported, and the block and time it was read at. */
export interface CommitmentRecord extends OnChainCommitment {
  updatedBlock: number;
  updatedAt: Date;
}

export interface ListCommitmentsParameters extends VaultKey {
  owner: string;
  /** Clamped to 1..500. Default 100. */
  limit?: number;
}

export interface ListUnsettledCommitmentsParameters extends VaultKey {
  /** Only ids greater than this (the last id of the previous page). */
  afterId?: bigint;
  /** Clamped to 1..500. Default 100. */
  limit?: number;
}

export interface ListCommitmentsUpdatedAfterParameters extends VaultKey {
  /** Rows whose `updatedBlock` is greater than this. */
  block: number;
  /** Only ids greater than this (the last id of the previous page). */
  afterId?: bigint;
  /** Clamped to 1..500. Default 100. */
  limit?: number;
}

/** What the rules look at in a stored workout (`countableOf` of a `WorkoutRecord`, its start in ms). */
export interface AcceptedWorkoutFacts {
  id: string;
  source: WorkoutSource;
  /** As stored (a sport the rules do not know counts as `other`). */
  sport: string;
  /** ms since the epoch. */
  startTime: number;
  durationSec: number;
}

export interface CommitmentWithWorkouts {
  commitment: CommitmentRecord;
  /**
   * The accepted workouts of `owner` overlapping the commitment's windows (`[start, start + milestones *
   * period)`), oldest first (start, then id) as `WorkoutsRepository.acceptedOverlapping` gives them; none when
   * `owner` is not the commitment's owner (nothing of theirs is read).
   */
  workouts: AcceptedWorkoutFacts[];
}

export interface CommitmentsRepository {
  upsert(commitment: CommitmentInput): Promise<CommitmentRecord>;
  /** Inserts the row unless the commitment is cached already; answers the cached row (the existing one wins). */
  insertIfAbsent(commitment: CommitmentInput): Promise<CommitmentRecord>;
  get(key: CommitmentKey): Promise<CommitmentRecord | null>;
  /**
   * `get` and, when `owner` owns it, the owner's accepted workouts over its windows, in one statement (what
   * `GET /api/commitments/:id` shows); null when there is no such commitment.
   */
  getWithAcceptedWorkouts(key: CommitmentKey & { owner: string }): Promise<CommitmentWithWorkouts | null>;
  /** The owner's commitments on one vault, by ascending id. */
  listByOwner(parameters: ListCommitmentsParameters): Promise<CommitmentRecord[]>;
  /** For the keeper: commitments not closed with at least one `Open` milestone, by ascending id (keyset pages). */
  listUnsettled(parameters: ListUnsettledCommitmentsParameters): Promise<CommitmentRecord[]>;
  /** For the indexer after a reorg: rows read at a block above `block`, by ascending id (keyset pages). */
  listUpdatedAfter(parameters: ListCommitmentsUpdatedAfterParameters): Promise<CommitmentRecord[]>;
  /** Removes a cached commitment (one a reorg took away); true when a row was deleted. */
  delete(key: CommitmentKey): Promise<boolean>;
}

const keySchema = vaultKeySchema.extend({ commitmentId: uint256Schema });

const commitmentSchema = keySchema
  .extend({
    owner: addressSchema,
    token: addressSchema,
    amount: uint256Schema,
    start: safeUintSchema,
    period: safeUintSchema,
    milestones: z.number().int().min(1).max(104),
    grace: safeUintSchema,
    beneficiary: addressSchema,
    rulesHash: bytes32Schema,
    closed: z.boolean(),
    milestoneStates: z.array(z.enum(milestoneStates)),
    appeals: z
      .array(
        z.object({
          index: z.number().int().min(0).max(103),
          appealedAt: safeUintSchema,
          bond: z.string().regex(/^(0|[1-9][0-9]{0,38})$/, "must be a decimal uint128"),
        }),
      )
      .max(104)
      .default([]),
    updatedBlock: safeUintSchema,
  })
  .refine((commitment) => commitment.milestoneStates.length === commitment.milestones, {
    message: "milestoneStates must have one entry per milestone",
    path: ["milestoneStates"],
  })
  .refine((commitment) => commitment.appeals.every((appeal) => appeal.index < commitment.milestones), {
    message: "an appeal names a milestone the commitment does not have",
    path: ["appeals"],
  });

function toRecord(row: typeof commitmentsCache.$inferSelect): CommitmentRecord {
  return {
    ...vaultOf(row),
    commitmentId: row.commitmentId,
    owner: toAddress(row.owner),
    token: toAddress(row.token),
    amount: row.amount,
    start: row.start,
    period: row.period,
    milestones: row.milestones,
    grace: row.grace,
    beneficiary: toAddress(row.beneficiary),
    rulesHash: toHex(row.rulesHash),
    closed: row.closed,
    milestoneStates: row.milestoneStates,
    appeals: row.appeals,
    updatedBlock: row.updatedBlock,
    updatedAt: row.updatedAt,
  };
}

/**
 * `getWithAcceptedWorkouts`' one column: the commitment's fields in `toRecord`'s order (the numerics as text, the
 * update time in ms), then its owner's accepted workouts as `[id, source, sport, startMs, durationSec]`, or null.
 */
type CommitmentWithWorkoutsRow = [
  chainId: number,
  vault: string,
  commitmentId: string,
  owner: string,
  token: string,
  amount: string,
  start: number,
  period: number,
  milestones: number,
  grace: number,
  beneficiary: string,
  rulesHash: string,
  closed: boolean,
  milestoneStates: MilestoneState[],
  appeals: MilestoneAppeal[],
  updatedBlock: number,
  updatedAtMs: number,
  workouts: [id: string, source: WorkoutSource, sport: string, startMs: number, durationSec: number][] | null,
];

/** A timestamp as whole ms since the epoch, as `parsePgTimestamptz` reads the column's text (sub-ms digits dropped). */
const epochMs = (column: unknown) => sql`floor(extract(epoch from ${column}) * 1000)::bigint`;

function withWorkoutsOf(row: CommitmentWithWorkoutsRow): CommitmentWithWorkouts {
  const [chainId, vault, commitmentId, owner, token, amount, start, period, milestones, grace, ...rest] = row;
  const [beneficiary, rulesHash, closed, states, appeals, block, updatedAt, found] = rest;
  return {
    commitment: {
      ...vaultOf({ chainId, vault }),
      commitmentId: BigInt(commitmentId),
      owner: toAddress(owner),
      token: toAddress(token),
      amount: BigInt(amount),
      start,
      period,
      milestones,
      grace,
      beneficiary: toAddress(beneficiary),
      rulesHash: toHex(rulesHash),
      closed,
      milestoneStates: states,
      appeals,
      updatedBlock: block,
      updatedAt: new Date(updatedAt),
    },
    workouts: (found ?? []).map(([id, source, sport, startTime, durationSec]) => ({
      id,
      source,
      sport,
      startTime,
      durationSec,
    })),
  };
}

/**
 * One row, one JSON value (a row of many columns costs PGlite a copy and a decode per field, and drizzle a
 * decoder each): the commitment, and in a subquery its owner's accepted workouts over its windows, read only
 * when the commitment's owner is `owner`. The overlap test is `acceptedOverlapping`'s (`start_time < end` and
 * `end_time > start`, on the owner's start-time index).
 */
function commitmentWithWorkoutsColumn() {
  const c = commitmentsCache;
  const w = workouts;
  const owner = columnPlaceholder("owner", c.owner);
  const accepted = sql`(select json_agg(json_build_array(${w.id}, ${w.source}, ${w.sport}, ${epochMs(w.startTime)}, ${w.durationSec}) order by ${w.startTime}, ${w.id})
    from ${w}
    where ${w.owner} = ${c.owner} and ${c.owner} = ${owner} and ${w.verdictStatus} = 'accepted'
      and ${w.startTime} < to_timestamp(${c.start} + ${c.milestones} * ${c.period}) and ${w.endTime} > to_timestamp(${c.start}))`;
  return sql<CommitmentWithWorkoutsRow>`json_build_array(${c.chainId}, ${c.vault}, ${c.commitmentId}::text, ${c.owner}, ${c.token}, ${c.amount}::text, ${c.start}, ${c.period}, ${c.milestones}, ${c.grace}, ${c.beneficiary}, ${c.rulesHash}, ${c.closed}, ${c.milestoneStates}, ${c.appeals}, ${c.updatedBlock}, ${epochMs(c.updatedAt)}, ${accepted})`;
}

const PAGE_BOUNDS = { fallback: COMMITMENTS_PAGE_DEFAULT, max: COMMITMENTS_PAGE_MAX };

/** chain id, vault and commitment id, each a placeholder: the key of a query built once (`builtOnce`). */
function byKeyPlaceholders() {
  return and(
    eq(commitmentsCache.chainId, columnPlaceholder("chainId", commitmentsCache.chainId)),
    eq(commitmentsCache.vault, columnPlaceholder("vault", commitmentsCache.vault)),
    eq(commitmentsCache.commitmentId, columnPlaceholder("commitmentId", commitmentsCache.commitmentId)),
  );
}

export function createCommitmentsRepository(db: DatabaseExecutor, clock: Clock): CommitmentsRepository {
  /** One keyset page of the rows matching `where`, by ascending id. */
  const page = async (where: SQL | undefined, limit: number) => {
    const rows = await db
      .select()
      .from(commitmentsCache)
      .where(where)
      .orderBy(asc(commitmentsCache.commitmentId))
      .limit(limit);
    return rows.map(toRecord);
  };

  const byKey = builtOnce(() =>
    db.select().from(commitmentsCache).where(byKeyPlaceholders()).limit(1).prepare("commitments_get"),
  );
  const withWorkouts = builtOnce(() =>
    db
      .select({ row: commitmentWithWorkoutsColumn() })
      .from(commitmentsCache)
      .where(byKeyPlaceholders())
      .limit(1)
      .prepare("commitments_get_with_workouts"),
  );
  const byOwner = builtOnce(() =>
    db
      .select()
      .from(commitmentsCache)
      .where(
        and(
          eq(commitmentsCache.chainId, columnPlaceholder("chainId", commitmentsCache.chainId)),
          eq(commitmentsCache.vault, columnPlaceholder("vault", commitmentsCache.vault)),
          eq(commitmentsCache.owner, columnPlaceholder("owner", commitmentsCache.owner)),
        ),
      )
      .orderBy(asc(commitmentsCache.commitmentId))
      .limit(sql.placeholder("limit"))
      .prepare("commitments_list_by_owner"),
  );

  return {
    upsert: parsedMethod(commitmentSchema, "commitment", "commitment upsert", async (input) => {
      const { chainId, vault, commitmentId, ...fields } = input;
      const values = { ...input, updatedAt: new Date(clock.now()) };
      const rows = await db
        .insert(commitmentsCache)
        .values(values)
        .onConflictDoUpdate({
          target: [commitmentsCache.chainId, commitmentsCache.vault, commitmentsCache.commitmentId],
          set: { ...fields, updatedAt: values.updatedAt },
        })
        .returning();
      return onlyRow(rows, toRecord);
    }),

    insertIfAbsent: parsedMethod(commitmentSchema, "commitment", "commitment insert", async (input) => {
      const { chainId, vault, commitmentId } = input;
      // The row found on conflict can be deleted (a reorg's repair) before it is read: then the insert again.
      for (let attempt = 0; attempt < 2; attempt++) {
        const rows = await db
          .insert(commitmentsCache)
          .values({ ...input, updatedAt: new Date(clock.now()) })
          .onConflictDoNothing({
            target: [commitmentsCache.chainId, commitmentsCache.vault, commitmentsCache.commitmentId],
          })
          .returning();
        const cached =
          firstOrNull(rows, toRecord) ??
          firstOrNull(await byKey().execute({ chainId, vault, commitmentId }), toRecord);
        if (cached !== null) return cached;
      }
      throw new ConflictError({
        code: "commitment_cache_contended",
        message: `Commitment ${commitmentId} is being written and removed concurrently; retry.`,
        details: { chainId, vault, commitmentId: commitmentId.toString() },
      });
    }),

    get: parsedMethod(keySchema, "commitment key", "commitment lookup", async (key) =>
      firstOrNull(await byKey().execute(key), toRecord),
    ),

    getWithAcceptedWorkouts: parsedMethod(
      keySchema.extend({ owner: addressSchema }),
      "commitment key and owner",
      "commitment lookup with workouts",
      async (key) => firstOrNull(await withWorkouts().execute(key), ({ row }) => withWorkoutsOf(row)),
    ),

    listUnsettled: parsedPageMethod(
      vaultKeySchema.extend({ afterId: uint256Schema.optional() }),
      "unsettled commitment list query",
      "unsettled commitment list",
      PAGE_BOUNDS,
      ({ chainId, vault, afterId }, limit) =>
        page(
          and(
            onVault(commitmentsCache, { chainId, vault }),
            eq(commitmentsCache.closed, false),
            sql`${commitmentsCache.milestoneStates} @> '["Open"]'::jsonb`,
            afterId === undefined ? undefined : gt(commitmentsCache.commitmentId, afterId),
          ),
          limit,
        ),
    ),

    listUpdatedAfter: parsedPageMethod(
      vaultKeySchema.extend({ block: safeUintSchema, afterId: uint256Schema.optional() }),
      "commitments updated after query",
      "commitments updated after list",
      PAGE_BOUNDS,
      ({ chainId, vault, block, afterId }, limit) =>
        page(
          and(
            onVault(commitmentsCache, { chainId, vault }),
            gt(commitmentsCache.updatedBlock, block),
            afterId === undefined ? undefined : gt(commitmentsCache.commitmentId, afterId),
          ),
          limit,
        ),
    ),

    delete: parsedMethod(keySchema, "commitment key", "commitment delete", async (key) => {
      const rows = await db
        .delete(commitmentsCache)
        .where(onVault(commitmentsCache, key))
        .returning({ commitmentId: commitmentsCache.commitmentId });
      return rows.length === 1;
    }),

    listByOwner: parsedPageMethod(
      vaultKeySchema.extend({ owner: addressSchema }),
      "commitment list query",
      "commitment list",
      PAGE_BOUNDS,
      async ({ chainId, vault, owner }, limit) =>
        (await byOwner().execute({ chainId, vault, owner, limit })).map(toRecord),
    ),
  };
}
