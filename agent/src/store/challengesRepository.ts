/**
 * The challenge indexer's cache of a ChallengePool: one row per challenge (`challenge(id)`) and one per
 * participant (`commitmentOf`, `statusOf`, `winningsOf`), each read at `updatedBlock`. Upserts are idempotent;
 * after a reorg the indexer reads again every row updated above the common ancestor.
 */
import { and, asc, eq, gt, or, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import {
  type ChallengeParticipantStatus,
  challengeParticipantStatuses,
  challengeParticipantsCache,
  challengesCache,
  commitmentsCache,
} from "./schema.ts";
import {
  addressSchema,
  bytes32Schema,
  chainIdSchema,
  parseInput,
  safeUintSchema,
  toAddress,
  toHex,
  uint256Schema,
} from "./values.ts";

export interface ChallengeKey {
  chainId: number;
  pool: string;
  challengeId: bigint;
}

export interface ChallengeInput extends ChallengeKey {
  creator: string;
  token: string;
  stake: bigint;
  start: number;
  period: number;
  milestones: number;
  grace: number;
  rulesHash: string;
  joinDeadline: number;
  maxParticipants: number;
  feeBps: number;
  feeRecipient: string;
  fallbackBeneficiary: string;
  participants: number;
  settled: number;
  finishers: number;
  pot: bigint;
  updatedBlock: number;
}

export interface ChallengeRecord {
  chainId: number;
  pool: Address;
  challengeId: bigint;
  creator: Address;
  token: Address;
  stake: bigint;
  start: number;
  period: number;
  milestones: number;
  grace: number;
  rulesHash: Hex;
  joinDeadline: number;
  maxParticipants: number;
  feeBps: number;
  feeRecipient: Address;
  fallbackBeneficiary: Address;
  participants: number;
  settled: number;
  finishers: number;
  pot: bigint;
  updatedBlock: number;
  updatedAt: Date;
}

export interface ParticipantKey extends ChallengeKey {
  participant: string;
}

export interface ParticipantInput extends ParticipantKey {
  commitmentId: bigint;
  status: ChallengeParticipantStatus;
  /** `winningsOf`: what the participant may still claim (0 before the split and after the claim). */
  winnings: bigint;
  updatedBlock: number;
}

export interface ParticipantRecord {
  chainId: number;
  pool: Address;
  challengeId: bigint;
  participant: Address;
  commitmentId: bigint;
  status: ChallengeParticipantStatus;
  winnings: bigint;
  updatedBlock: number;
  updatedAt: Date;
}

/**
 * Where one challenge's participants stand, counted in one query over the participant cache joined with the vault's
 * commitment cache (no chain call, no loop in the agent): settled by the pool (`finished` counts `claimed` too,
 * `out`), or, still `joined`, out once a milestone is Slashed or Refunded, behind when one of the first
 * `endedMilestones` is not Released, else on track. A participant whose commitment the vault indexer has not
 * seen yet counts as on track.
 */
export interface ChallengeTally {
  participants: number;
  onTrack: number;
  behind: number;
  finished: number;
  out: number;
  /** Slashed milestones of participants the pool has not settled yet, other than their last milestone. */
  unsettledSlashed: number;
  /** Unsettled participants whose LAST milestone is Slashed (it carries the stake's rounding remainder). */
  unsettledSlashedLast: number;
}

export interface ChallengesRepository {
  upsert(challenge: ChallengeInput): Promise<void>;
  /** True when a row was deleted. */
  delete(key: ChallengeKey): Promise<boolean>;
  get(key: ChallengeKey): Promise<ChallengeRecord | null>;
  /** Challenges by ascending id, after `afterId`, at most `limit` (1..500). */
  list(query: { chainId: number; pool: string; limit: number; afterId?: bigint }): Promise<ChallengeRecord[]>;
  /** Challenges read above `block`, by ascending id (reorg repair). */
  listUpdatedAfter(query: {
    chainId: number;
    pool: string;
    block: number;
    limit: number;
    afterId?: bigint;
  }): Promise<ChallengeRecord[]>;
  upsertParticipant(participant: ParticipantInput): Promise<void>;
  deleteParticipant(key: ParticipantKey): Promise<boolean>;
  getParticipant(key: ParticipantKey): Promise<ParticipantRecord | null>;
  /** One challenge's participants by ascending address, after `afterParticipant`, at most `limit` (1..500). */
  listParticipants(query: {
    chainId: number;
    pool: string;
    challengeId: bigint;
    limit: number;
    afterParticipant?: string;
  }): Promise<ParticipantRecord[]>;
  /** The challenges `participant` joined, by ascending challenge id, at most `limit` (1..500). */
  listByParticipant(query: {
    chainId: number;
    pool: string;
    participant: string;
    limit: number;
  }): Promise<ParticipantRecord[]>;
  /** Standings of one challenge's participants (see `ChallengeTally`); commitments are read on `vault`. */
  tally(query: ChallengeKey & { vault: string; endedMilestones: number }): Promise<ChallengeTally>;
  /** Participants the pool still counts as `joined`, by (challenge id, address), after `after` (the keeper). */
  listJoined(query: {
    chainId: number;
    pool: string;
    limit: number;
    after?: { challengeId: bigint; participant: string };
  }): Promise<ParticipantRecord[]>;
  /** Participants read above `block`, by (challenge id, address) (reorg repair). */
  listParticipantsUpdatedAfter(query: {
    chainId: number;
    pool: string;
    block: number;
    limit: number;
    after?: { challengeId: bigint; participant: string };
  }): Promise<ParticipantRecord[]>;
}

const keySchema = z.object({ chainId: chainIdSchema, pool: addressSchema, challengeId: uint256Schema });
const challengeSchema = keySchema.extend({
  creator: addressSchema,
  token: addressSchema,
  stake: uint256Schema,
  start: safeUintSchema,
  period: safeUintSchema,
  milestones: z.number().int().min(1).max(104),
  grace: safeUintSchema,
  rulesHash: bytes32Schema,
  joinDeadline: safeUintSchema,
  maxParticipants: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  feeBps: z.number().int().min(0).max(10_000),
  feeRecipient: addressSchema,
  fallbackBeneficiary: addressSchema,
  participants: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  settled: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  finishers: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  pot: uint256Schema,
  updatedBlock: safeUintSchema,
});
const participantKeySchema = keySchema.extend({ participant: addressSchema });
const participantSchema = participantKeySchema.extend({
  commitmentId: uint256Schema,
  status: z.enum(challengeParticipantStatuses),
  winnings: uint256Schema,
  updatedBlock: safeUintSchema,
});
const limitSchema = z.number().int().min(1).max(500);
const listSchema = z.object({
  chainId: chainIdSchema,
  pool: addressSchema,
  limit: limitSchema,
  afterId: uint256Schema.optional(),
});
const updatedSchema = listSchema.extend({ block: safeUintSchema });
const participantsSchema = keySchema.extend({
  limit: limitSchema,
  afterParticipant: addressSchema.optional(),
});
const byParticipantSchema = z.object({
  chainId: chainIdSchema,
  pool: addressSchema,
  participant: addressSchema,
  limit: limitSchema,
});
const tallySchema = keySchema.extend({
  vault: addressSchema,
  endedMilestones: z.number().int().min(0).max(104),
});
const joinedSchema = z.object({
  chainId: chainIdSchema,
  pool: addressSchema,
  limit: limitSchema,
  after: z.object({ challengeId: uint256Schema, participant: addressSchema }).optional(),
});
const participantsUpdatedSchema = z.object({
  chainId: chainIdSchema,
  pool: addressSchema,
  block: safeUintSchema,
  limit: limitSchema,
  after: z.object({ challengeId: uint256Schema, participant: addressSchema }).optional(),
});

function toChallenge(row: typeof challengesCache.$inferSelect): ChallengeRecord {
  return {
    ...row,
    pool: toAddress(row.pool),
    creator: toAddress(row.creator),
    token: toAddress(row.token),
    rulesHash: toHex(row.rulesHash),
    feeRecipient: toAddress(row.feeRecipient),
    fallbackBeneficiary: toAddress(row.fallbackBeneficiary),
  };
}

function toParticipant(row: typeof challengeParticipantsCache.$inferSelect): ParticipantRecord {
  return { ...row, pool: toAddress(row.pool), participant: toAddress(row.participant) };
}

export function createChallengesRepository(db: DatabaseExecutor, clock: Clock): ChallengesRepository {
  const c = challengesCache;
  const p = challengeParticipantsCache;
  const challengeWhere = (key: z.output<typeof keySchema>) =>
    and(eq(c.chainId, key.chainId), eq(c.pool, key.pool), eq(c.challengeId, key.challengeId));
  const participantWhere = (key: z.output<typeof participantKeySchema>) =>
    and(
      eq(p.chainId, key.chainId),
      eq(p.pool, key.pool),
      eq(p.challengeId, key.challengeId),
      eq(p.participant, key.participant),
    );
  return {
    upsert: async (challenge) => {
      const input = parseInput(challengeSchema, challenge, "challenge");
      await withDatabaseErrors("challenge upsert", async () => {
        const { chainId: _c, pool: _p, challengeId: _i, ...rest } = input;
        const updatedAt = new Date(clock.now());
        await db
          .insert(c)
          .values({ ...input, updatedAt })
          .onConflictDoUpdate({ target: [c.chainId, c.pool, c.challengeId], set: { ...rest, updatedAt } });
      });
    },
    delete: async (key) => {
      const input = parseInput(keySchema, key, "challenge key");
      return withDatabaseErrors("challenge delete", async () => {
        await db
          .delete(p)
          .where(
            and(eq(p.chainId, input.chainId), eq(p.pool, input.pool), eq(p.challengeId, input.challengeId)),
          );
        const rows = await db.delete(c).where(challengeWhere(input)).returning({ id: c.challengeId });
        return rows.length > 0;
      });
    },
    get: async (key) => {
      const input = parseInput(keySchema, key, "challenge key");
      return withDatabaseErrors("challenge lookup", async () => {
        const rows = await db.select().from(c).where(challengeWhere(input)).limit(1);
        return rows[0] === undefined ? null : toChallenge(rows[0]);
      });
    },
    list: async (query) => {
      const input = parseInput(listSchema, query, "challenge list");
      return withDatabaseErrors("challenge list", async () => {
        const rows = await db
          .select()
          .from(c)
          .where(
            and(
              eq(c.chainId, input.chainId),
              eq(c.pool, input.pool),
              input.afterId === undefined ? undefined : gt(c.challengeId, input.afterId),
            ),
          )
          .orderBy(asc(c.challengeId))
          .limit(input.limit);
        return rows.map(toChallenge);
      });
    },
    listUpdatedAfter: async (query) => {
      const input = parseInput(updatedSchema, query, "challenge list");
      return withDatabaseErrors("challenge list", async () => {
        const rows = await db
          .select()
          .from(c)
          .where(
            and(
              eq(c.chainId, input.chainId),
              eq(c.pool, input.pool),
              gt(c.updatedBlock, input.block),
              input.afterId === undefined ? undefined : gt(c.challengeId, input.afterId),
            ),
          )
          .orderBy(asc(c.challengeId))
          .limit(input.limit);
        return rows.map(toChallenge);
      });
    },
    upsertParticipant: async (participant) => {
      const input = parseInput(participantSchema, participant, "challenge participant");
      await withDatabaseErrors("challenge participant upsert", async () => {
        const updatedAt = new Date(clock.now());
        await db
          .insert(p)
          .values({ ...input, updatedAt })
          .onConflictDoUpdate({
            target: [p.chainId, p.pool, p.challengeId, p.participant],
            set: {
              commitmentId: input.commitmentId,
              status: input.status,
              winnings: input.winnings,
              updatedBlock: input.updatedBlock,
              updatedAt,
            },
          });
      });
    },
    deleteParticipant: async (key) => {
      const input = parseInput(participantKeySchema, key, "challenge participant key");
      return withDatabaseErrors("challenge participant delete", async () => {
        const rows = await db.delete(p).where(participantWhere(input)).returning({ id: p.challengeId });
        return rows.length > 0;
      });
    },
    getParticipant: async (key) => {
      const input = parseInput(participantKeySchema, key, "challenge participant key");
      return withDatabaseErrors("challenge participant lookup", async () => {
        const rows = await db.select().from(p).where(participantWhere(input)).limit(1);
        return rows[0] === undefined ? null : toParticipant(rows[0]);
      });
    },
    listParticipants: async (query) => {
      const input = parseInput(participantsSchema, query, "challenge participant list");
      return withDatabaseErrors("challenge participant list", async () => {
        const rows = await db
          .select()
          .from(p)
          .where(
            and(
              eq(p.chainId, input.chainId),
              eq(p.pool, input.pool),
              eq(p.challengeId, input.challengeId),
              input.afterParticipant === undefined ? undefined : gt(p.participant, input.afterParticipant),
            ),
          )
          .orderBy(asc(p.participant))
          .limit(input.limit);
        return rows.map(toParticipant);
      });
    },
    listByParticipant: async (query) => {
      const input = parseInput(byParticipantSchema, query, "challenge participant list");
      return withDatabaseErrors("challenge participant list", async () => {
        const rows = await db
          .select()
          .from(p)
          .where(
            and(eq(p.chainId, input.chainId), eq(p.pool, input.pool), eq(p.participant, input.participant)),
          )
          .orderBy(asc(p.challengeId))
          .limit(input.limit);
        return rows.map(toParticipant);
      });
    },
    tally: async (query) => {
      const input = parseInput(tallySchema, query, "challenge tally");
      return withDatabaseErrors("challenge tally", async () => {
        const m = commitmentsCache;
        const states = m.milestoneStates;
        const joined = sql`${p.status} = 'joined'`;
        const lost = sql`coalesce(${states} @> '["Slashed"]'::jsonb or ${states} @> '["Refunded"]'::jsonb, false)`;
        const behind = sql`exists (select 1 from jsonb_array_elements_text(${states}) with ordinality as e(state, n)
          where e.n <= ${input.endedMilestones} and e.state <> 'Released')`;
        const slashedBeforeLast = sql`(select count(*) from jsonb_array_elements_text(${states}) with ordinality as e(state, n)
          where e.n < jsonb_array_length(${states}) and e.state = 'Slashed')`;
        const lastSlashed = sql`${states} ->> (jsonb_array_length(${states}) - 1) = 'Slashed'`;
        const [row] = await db
          .select({
            participants: sql<number>`count(*)::int`,
            finished: sql<number>`(count(*) filter (where ${p.status} in ('finished', 'claimed')))::int`,
            out: sql<number>`(count(*) filter (where ${p.status} = 'out' or (${joined} and ${lost})))::int`,
            behind: sql<number>`(count(*) filter (where ${joined} and not ${lost} and ${behind}))::int`,
            unsettledSlashed: sql<number>`coalesce(sum(${slashedBeforeLast}) filter (where ${joined}), 0)::int`,
            unsettledSlashedLast: sql<number>`(count(*) filter (where ${joined} and ${lastSlashed}))::int`,
          })
          .from(p)
          .leftJoin(
            m,
            and(eq(m.chainId, p.chainId), eq(m.vault, input.vault), eq(m.commitmentId, p.commitmentId)),
          )
          .where(
            and(eq(p.chainId, input.chainId), eq(p.pool, input.pool), eq(p.challengeId, input.challengeId)),
          );
        const count = (value: unknown) => Number(value ?? 0);
        const participants = count(row?.participants);
        const finished = count(row?.finished);
        const out = count(row?.out);
        const behindCount = count(row?.behind);
        return {
          participants,
          onTrack: participants - finished - out - behindCount,
          behind: behindCount,
          finished,
          out,
          unsettledSlashed: count(row?.unsettledSlashed),
          unsettledSlashedLast: count(row?.unsettledSlashedLast),
        };
      });
    },
    listJoined: async (query) => {
      const input = parseInput(joinedSchema, query, "challenge participant list");
      return withDatabaseErrors("challenge participant list", async () => {
        const after = input.after;
        const rows = await db
          .select()
          .from(p)
          .where(
            and(
              eq(p.chainId, input.chainId),
              eq(p.pool, input.pool),
              eq(p.status, "joined"),
              after === undefined
                ? undefined
                : or(
                    gt(p.challengeId, after.challengeId),
                    and(eq(p.challengeId, after.challengeId), gt(p.participant, after.participant)),
                  ),
            ),
          )
          .orderBy(asc(p.challengeId), asc(p.participant))
          .limit(input.limit);
        return rows.map(toParticipant);
      });
    },
    listParticipantsUpdatedAfter: async (query) => {
      const input = parseInput(participantsUpdatedSchema, query, "challenge participant list");
      return withDatabaseErrors("challenge participant list", async () => {
        const after = input.after;
        const rows = await db
          .select()
          .from(p)
          .where(
            and(
              eq(p.chainId, input.chainId),
              eq(p.pool, input.pool),
              gt(p.updatedBlock, input.block),
              after === undefined
                ? undefined
                : or(
                    gt(p.challengeId, after.challengeId),
                    and(eq(p.challengeId, after.challengeId), gt(p.participant, after.participant)),
                  ),
            ),
          )
          .orderBy(asc(p.challengeId), asc(p.participant))
          .limit(input.limit);
        return rows.map(toParticipant);
      });
    },
  };
}
