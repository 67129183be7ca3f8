/**
 * Set-based queries for the coach's scheduler pass (issue 18): what `deployNudge` asks one nudge at a time
 * (owner lock, dedupe lookup, the day's intervention keys, the reservation, the outcome) asked once for a batch
 * of nudges, and the challenge-pool participant rows of a page of commitments in one query. Each call takes at
 * most `COACH_PASS_BATCH_MAX` items; the answers are the rows the one-at-a-time queries return, so the pass
 * decides exactly what `deployNudge` decides (see `coach/nudges/deployNudgeBatch.ts`).
 */
import { and, asc, eq, gte, lt, ne, notLike, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { ParticipantRecord } from "./challengesRepository.ts";
import type { DatabaseExecutor } from "./database.ts";
import type { NewNudge, NudgeOutcome, NudgeRecord } from "./nudgesRepository.ts";
import { newNudgeSchema, nudgeKeySchema, outcomeSchema, REMINDER_KEY_PREFIX } from "./nudgesRepository.ts";
import { parsedMethod } from "./repositoryMethods.ts";
import { challengeParticipantsCache, type NudgeChannelKind, nudges } from "./schema.ts";
import { addressSchema, chainIdSchema, dateSchema, toAddress, withOwnerAddress } from "./values.ts";

/** Most items (owners, nudges, pairs) one call takes. */
export const COACH_PASS_BATCH_MAX = 1000;
/** Most rows `interventionsBetween` and `participantsOf` return; more is a ValidationError (the caller falls back). */
export const COACH_PASS_ROWS_MAX = 50_000;

export interface NudgeKey {
  owner: string;
  channel: NudgeChannelKind;
  dedupeKey: string;
}

/** One nudge row that counts toward the daily cap: not a scheduled reminder, not a reminder's key. */
export interface InterventionRow {
  owner: Address;
  dedupeKey: string;
  createdAt: Date;
}

export interface NudgeOutcomeUpdate {
  id: string;
  outcome: NudgeOutcome;
}

export interface CoachPassQueries {
  /**
   * The challenge-pool participant rows of these (pool, participant) pairs on `chainId`, by pool, participant
   * and challenge id: `challenges.listByParticipant` for a page of commitments at once.
   */
  participantsOf(
    chainId: number,
    pairs: readonly { pool: string; participant: string }[],
  ): Promise<ParticipantRecord[]>;
  /**
   * `nudges.lockOwner` for every owner, in ascending order (so two batches cannot deadlock); inside
   * `store.transaction` only.
   */
  lockNudgeOwners(owners: readonly string[]): Promise<void>;
  /** The nudges with any of these (owner, channel, dedupe key) keys. */
  findNudges(keys: readonly NudgeKey[]): Promise<NudgeRecord[]>;
  /**
   * The rows `nudges.interventionKeysBetween` counts, of every owner, created in `[from, to)`, one per
   * (owner, key, created at); the caller narrows each owner to its own day.
   */
  interventionsBetween(owners: readonly string[], from: Date, to: Date): Promise<InterventionRow[]>;
  /** `nudges.reserve` for many: the new nudges (a nudge whose key already exists is left out). */
  reserveNudges(nudges: readonly NewNudge[]): Promise<ReservedNudge[]>;
  /**
   * `nudges.setOutcome` for many: one update per distinct outcome. Throws (after updating the others) when a
   * nudge is not there any more, as `setOutcome` does.
   */
  setNudgeOutcomes(updates: readonly NudgeOutcomeUpdate[]): Promise<void>;
  /**
   * Deletes these nudges if they are still `pending` (reserved, never delivered): a pass out of time releases
   * the reservations it will not deliver, so a later pass decides them again. Returns how many were deleted.
   */
  releaseNudges(ids: readonly string[]): Promise<number>;
}

const ownersSchema = z.array(addressSchema).max(COACH_PASS_BATCH_MAX);
const pairsSchema = z.object({
  chainId: chainIdSchema,
  pairs: z.array(z.object({ pool: addressSchema, participant: addressSchema })).max(COACH_PASS_BATCH_MAX),
});
const nudgeKeysSchema = z.array(nudgeKeySchema).max(COACH_PASS_BATCH_MAX);
const betweenSchema = z.object({ owners: ownersSchema, from: dateSchema, to: dateSchema });
const newNudgesSchema = z.array(newNudgeSchema).max(COACH_PASS_BATCH_MAX);
const outcomesSchema = z
  .array(
    z.object({
      id: z.uuid(),
      outcome: outcomeSchema,
    }),
  )
  .max(COACH_PASS_BATCH_MAX);
const idsSchema = z.array(z.uuid()).max(COACH_PASS_BATCH_MAX);

function tooManyRows(rows: number, what: string): void {
  if (rows > COACH_PASS_ROWS_MAX) throw new Error(`more than ${COACH_PASS_ROWS_MAX} ${what} in one batch`);
}

/**
 * `column = any($1)` with the values as ONE array parameter: a batch of 500 costs one parameter, not 500 (the
 * query builder's per-parameter work dominated these queries on PGlite).
 */
function anyOf(column: SQL | AnyPgColumn, values: readonly string[], type: "text" | "uuid" = "text"): SQL {
  return sql`${column} = any(${sql.param([...values])}::${sql.raw(type)}[])`;
}

/** A nudge just reserved: what its delivery needs. */
export interface ReservedNudge {
  id: string;
  owner: Address;
  channel: NudgeChannelKind;
  dedupeKey: string;
  createdAt: Date;
}

export function createCoachPassQueries(db: DatabaseExecutor, clock: Clock): CoachPassQueries {
  const p = challengeParticipantsCache;
  const participantsOf = parsedMethod(
    pairsSchema,
    "participant pairs",
    "participant lookup",
    async (input) => {
      if (input.pairs.length === 0) return [];
      const wanted = new Set(input.pairs.map((pair) => `${pair.pool}|${pair.participant}`));
      const rows = await db
        .select()
        .from(p)
        .where(
          and(
            eq(p.chainId, input.chainId),
            anyOf(p.pool, [...new Set(input.pairs.map((pair) => pair.pool))]),
            anyOf(p.participant, [...new Set(input.pairs.map((pair) => pair.participant))]),
          ),
        )
        .orderBy(asc(p.pool), asc(p.participant), asc(p.challengeId))
        .limit(COACH_PASS_ROWS_MAX + 1);
      tooManyRows(rows.length, "participant rows");
      return rows
        .filter((row) => wanted.has(`${row.pool}|${row.participant}`))
        .map((row) => ({ ...row, pool: toAddress(row.pool), participant: toAddress(row.participant) }));
    },
  );
  const lockNudgeOwners = parsedMethod(ownersSchema, "nudge owners", "nudge owner lock", async (owners) => {
    const names = [...new Set(owners)].sort().map((owner) => `nudges:${owner}`);
    if (names.length === 0) return;
    // unnest keeps the array's order, so the locks are taken in ascending owner order.
    await db.execute(
      sql`select pg_advisory_xact_lock(hashtext(name)) from unnest(${sql.param(names)}::text[]) with ordinality as t(name, n) order by n`,
    );
  });
  const findNudges = parsedMethod(nudgeKeysSchema, "nudge keys", "nudge lookup", async (keys) => {
    if (keys.length === 0) return [];
    const wanted = new Set(keys.map((key) => `${key.owner}|${key.channel}|${key.dedupeKey}`));
    const rows = await db
      .select()
      .from(nudges)
      .where(
        and(
          anyOf(nudges.owner, [...new Set(keys.map((key) => key.owner))]),
          anyOf(nudges.dedupeKey, [...new Set(keys.map((key) => key.dedupeKey))]),
        ),
      );
    return rows
      .filter((row) => wanted.has(`${row.owner}|${row.channel}|${row.dedupeKey}`))
      .map(withOwnerAddress);
  });
  const interventionsBetween = parsedMethod(
    betweenSchema,
    "nudge count query",
    "nudge count",
    async (input) => {
      if (input.owners.length === 0) return [];
      const rows = await db
        .selectDistinct({ owner: nudges.owner, dedupeKey: nudges.dedupeKey, createdAt: nudges.createdAt })
        .from(nudges)
        .where(
          and(
            anyOf(nudges.owner, [...new Set(input.owners)]),
            gte(nudges.createdAt, input.from),
            lt(nudges.createdAt, input.to),
            ne(nudges.status, "scheduled"),
            notLike(nudges.dedupeKey, `${REMINDER_KEY_PREFIX}%`),
          ),
        )
        .limit(COACH_PASS_ROWS_MAX + 1);
      tooManyRows(rows.length, "intervention rows");
      return rows.map(withOwnerAddress);
    },
  );
  const reserveNudges = parsedMethod(newNudgesSchema, "nudges", "nudge insert", async (input) => {
    if (input.length === 0) return [];
    const now = new Date(clock.now());
    const column = (pick: (nudge: (typeof input)[number]) => string) => sql.param(input.map(pick));
    // One row per array element; the columns in the table's order (drizzle inserts a select into all of them).
    const rows = await db
      .insert(nudges)
      .select(
        sql`select gen_random_uuid(), t.owner, t.channel, t.dedupe_key, t.reason, t.message, t.status, 0, null,
          t.due_at, null, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
          from unnest(${column((n) => n.owner)}::text[], ${column((n) => n.channel)}::text[],
            ${column((n) => n.dedupeKey)}::text[], ${column((n) => n.reason)}::text[],
            ${column((n) => n.message)}::text[], ${column((n) => n.status)}::text[],
            ${column((n) => n.dueAt.toISOString())}::timestamptz[])
          as t(owner, channel, dedupe_key, reason, message, status, due_at)`,
      )
      .onConflictDoNothing({ target: [nudges.owner, nudges.channel, nudges.dedupeKey] })
      .returning({
        id: nudges.id,
        owner: nudges.owner,
        channel: nudges.channel,
        dedupeKey: nudges.dedupeKey,
      });
    return rows.map((row) => ({ ...row, owner: toAddress(row.owner), createdAt: now }));
  });
  const setNudgeOutcomes = parsedMethod(outcomesSchema, "nudge outcomes", "nudge update", async (updates) => {
    const groups = new Map<string, { outcome: NudgeOutcome; ids: string[] }>();
    for (const { id, outcome } of updates) {
      const key = JSON.stringify([outcome.status, outcome.attempts, outcome.lastError]);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { outcome, ids: [id] });
      else group.ids.push(id);
    }
    const now = new Date(clock.now());
    const updated = new Set<string>();
    for (const { outcome, ids } of groups.values()) {
      const deliveredAt = outcome.status === "delivered" ? now : null;
      const rows = await db
        .update(nudges)
        .set({ ...outcome, deliveredAt, updatedAt: now })
        .where(anyOf(nudges.id, ids, "uuid"))
        .returning({ id: nudges.id });
      for (const row of rows) updated.add(row.id);
    }
    const vanished = updates.find(({ id }) => !updated.has(id));
    if (vanished !== undefined) throw new Error(`nudge ${vanished.id} vanished`);
  });
  const releaseNudges = parsedMethod(idsSchema, "nudge ids", "nudge release", async (ids) => {
    if (ids.length === 0) return 0;
    const rows = await db
      .delete(nudges)
      .where(and(anyOf(nudges.id, ids, "uuid"), eq(nudges.status, "pending")))
      .returning({ id: nudges.id });
    return rows.length;
  });
  return {
    participantsOf: (chainId, pairs) => participantsOf({ chainId, pairs }),
    lockNudgeOwners: (owners) => lockNudgeOwners(owners),
    findNudges: (keys) => findNudges(keys),
    interventionsBetween: (owners, from, to) => interventionsBetween({ owners, from, to }),
    reserveNudges: (input) => reserveNudges(input),
    setNudgeOutcomes: (updates) => setNudgeOutcomes(updates),
    releaseNudges: (ids) => releaseNudges(ids),
  };
}
