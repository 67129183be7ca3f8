/**
 * The challenge indexer's cache of a ChallengePool: one row per challenge (`challenge(id)`) and one per
 * participant (`commitmentOf`, `statusOf`, `winningsOf`), each read at `updatedBlock`. Upserts are idempotent;
 * after a reorg the indexer reads again every row updated above the common ancestor.
 */
import { and, asc, eq, gt, or, type SQL, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { firstOrNull, parsedMethod } from "./repositoryMethods.ts";
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

/** One pool on one chain: what every challenge and participant query is scoped to. */
const poolSchema = z.object({ chainId: chainIdSchema, pool: addressSchema });
const keySchema = poolSchema.extend({ challengeId: uint256Schema });
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
const listSchema = poolSchema.extend({ limit: limitSchema, afterId: uint256Schema.optional() });
const updatedSchema = listSchema.extend({ block: safeUintSchema });
const participantsSchema = keySchema.extend({
  limit: limitSchema,
  afterParticipant: addressSchema.optional(),
});
const byParticipantSchema = poolSchema.extend({ participant: addressSchema, limit: limitSchema });
const tallySchema = keySchema.extend({
  vault: addressSchema,
  endedMilestones: z.number().int().min(0).max(104),
});
const joinedSchema = poolSchema.extend({
  limit: limitSchema,
  after: z.object({ challengeId: uint256Schema, participant: addressSchema }).optional(),
});
const participantsUpdatedSchema = joinedSchema.extend({ block: safeUintSchema });

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

const c = challengesCache;
const p = challengeParticipantsCache;

function challengeWhere(key: z.output<typeof keySchema>) {
  return and(eq(c.chainId, key.chainId), eq(c.pool, key.pool), eq(c.challengeId, key.challengeId));
}

/** The participant rows of every challenge of one pool. */
function participantsIn(pool: z.output<typeof poolSchema>) {
  return and(eq(p.chainId, pool.chainId), eq(p.pool, pool.pool));
}

function participantsOf(key: z.output<typeof keySchema>) {
  return and(participantsIn(key), eq(p.challengeId, key.challengeId));
}

function participantWhere(key: z.output<typeof participantKeySchema>) {
  return and(participantsOf(key), eq(p.participant, key.participant));
}

/** Keyset pagination over (challenge id, participant address). */
function afterParticipantKey(after: { challengeId: bigint; participant: Address } | undefined) {
  return after === undefined
    ? undefined
    : or(
        gt(p.challengeId, after.challengeId),
        and(eq(p.challengeId, after.challengeId), gt(p.participant, after.participant)),
      );
}

export function createChallengesRepository(db: DatabaseExecutor, clock: Clock): ChallengesRepository {
  return {
    ...challengeRowMethods(db, clock),
    ...participantRowMethods(db, clock),
    tally: parsedMethod(tallySchema, "challenge tally", "challenge tally", (input) =>
      tallyChallenge(db, input),
    ),
  };
}

/** The `challenges_cache` rows. */
function challengeRowMethods(
  db: DatabaseExecutor,
  clock: Clock,
): Pick<ChallengesRepository, "upsert" | "delete" | "get" | "list" | "listUpdatedAfter"> {
  const listWhere = (input: z.output<typeof updatedSchema> | z.output<typeof listSchema>) =>
    and(
      eq(c.chainId, input.chainId),
      eq(c.pool, input.pool),
      "block" in input ? gt(c.updatedBlock, input.block) : undefined,
      input.afterId === undefined ? undefined : gt(c.challengeId, input.afterId),
    );
  const listChallenges = async (input: z.output<typeof updatedSchema> | z.output<typeof listSchema>) => {
    const rows = await db
      .select()
      .from(c)
      .where(listWhere(input))
      .orderBy(asc(c.challengeId))
      .limit(input.limit);
    return rows.map(toChallenge);
  };
  return {
    upsert: parsedMethod(challengeSchema, "challenge", "challenge upsert", async (input) => {
      const { chainId: _c, pool: _p, challengeId: _i, ...rest } = input;
      const updatedAt = new Date(clock.now());
      await db
        .insert(c)
        .values({ ...input, updatedAt })
        .onConflictDoUpdate({ target: [c.chainId, c.pool, c.challengeId], set: { ...rest, updatedAt } });
    }),
    delete: parsedMethod(keySchema, "challenge key", "challenge delete", async (input) => {
      await db.delete(p).where(participantsOf(input));
      const rows = await db.delete(c).where(challengeWhere(input)).returning({ id: c.challengeId });
      return rows.length > 0;
    }),
    get: parsedMethod(keySchema, "challenge key", "challenge lookup", async (input) =>
      firstOrNull(await db.select().from(c).where(challengeWhere(input)).limit(1), toChallenge),
    ),
    list: parsedMethod(listSchema, "challenge list", "challenge list", listChallenges),
    listUpdatedAfter: parsedMethod(updatedSchema, "challenge list", "challenge list", listChallenges),
  };
}

/** The `challenge_participants_cache` rows. */
function participantRowMethods(
  db: DatabaseExecutor,
  clock: Clock,
): Omit<ChallengesRepository, "upsert" | "delete" | "get" | "list" | "listUpdatedAfter" | "tally"> {
  const what = "challenge participant list";
  const selectParticipants = async (where: SQL | undefined, order: SQL[], limit: number) => {
    const rows = await db
      .select()
      .from(p)
      .where(where)
      .orderBy(...order)
      .limit(limit);
    return rows.map(toParticipant);
  };
  const byChallengeThenAddress = [asc(p.challengeId), asc(p.participant)];
  return {
    upsertParticipant: parsedMethod(
      participantSchema,
      "challenge participant",
      "challenge participant upsert",
      async (input) => {
        const updatedAt = new Date(clock.now());
        const { commitmentId, status, winnings, updatedBlock } = input;
        await db
          .insert(p)
          .values({ ...input, updatedAt })
          .onConflictDoUpdate({
            target: [p.chainId, p.pool, p.challengeId, p.participant],
            set: { commitmentId, status, winnings, updatedBlock, updatedAt },
          });
      },
    ),
    deleteParticipant: parsedMethod(
      participantKeySchema,
      "challenge participant key",
      "challenge participant delete",
      async (input) => {
        const rows = await db.delete(p).where(participantWhere(input)).returning({ id: p.challengeId });
        return rows.length > 0;
      },
    ),
    getParticipant: parsedMethod(
      participantKeySchema,
      "challenge participant key",
      "challenge participant lookup",
      async (input) =>
        firstOrNull(await db.select().from(p).where(participantWhere(input)).limit(1), toParticipant),
    ),
    listParticipants: parsedMethod(participantsSchema, what, what, (input) =>
      selectParticipants(
        and(
          participantsOf(input),
          input.afterParticipant === undefined ? undefined : gt(p.participant, input.afterParticipant),
        ),
        [asc(p.participant)],
        input.limit,
      ),
    ),
    listByParticipant: parsedMethod(byParticipantSchema, what, what, (input) =>
      selectParticipants(
        and(participantsIn(input), eq(p.participant, input.participant)),
        [asc(p.challengeId)],
        input.limit,
      ),
    ),
    listJoined: parsedMethod(joinedSchema, what, what, (input) =>
      selectParticipants(
        and(participantsIn(input), eq(p.status, "joined"), afterParticipantKey(input.after)),
        byChallengeThenAddress,
        input.limit,
      ),
    ),
    listParticipantsUpdatedAfter: parsedMethod(participantsUpdatedSchema, what, what, (input) =>
      selectParticipants(
        and(participantsIn(input), gt(p.updatedBlock, input.block), afterParticipantKey(input.after)),
        byChallengeThenAddress,
        input.limit,
      ),
    ),
  };
}

/** `ChallengeTally` in one query (see its comment). */
async function tallyChallenge(
  db: DatabaseExecutor,
  input: z.output<typeof tallySchema>,
): Promise<ChallengeTally> {
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
    .leftJoin(m, and(eq(m.chainId, p.chainId), eq(m.vault, input.vault), eq(m.commitmentId, p.commitmentId)))
    .where(participantsOf(input));
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
}
