/**
 * Nudges and their delivery state. `reserve` inserts a nudge unless the same `(owner, channel, dedupeKey)`
 * exists (then null: the intervention was already sent on that channel), so two replicas can never deliver
 * one intervention twice. The in-app feed is the owner's delivered `inApp` nudges, newest first.
 */
import { and, asc, desc, eq, gte, inArray, like, lt, lte, ne, notLike } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { advisoryTransactionLock, firstOrNull, parsedMethod } from "./repositoryMethods.ts";
import { type NudgeChannelKind, type NudgeStatus, nudgeChannels, nudges } from "./schema.ts";
import { timeKeyset } from "./timeKeyset.ts";
import { addressSchema, boundedLimit, dateSchema, parseInput, withOwnerAddress } from "./values.ts";

export const NUDGES_PAGE_DEFAULT = 20;
export const NUDGES_PAGE_MAX = 100;
/** Dedupe keys of reminders the owner asked for start with this; they do not count toward the daily cap. */
export const REMINDER_KEY_PREFIX = "reminder:";

export interface NewNudge {
  owner: string;
  channel: NudgeChannelKind;
  dedupeKey: string;
  reason: string;
  message: string;
  /** `pending` to deliver now, `scheduled` for a reminder due at `dueAt`. */
  status: "pending" | "scheduled";
  dueAt: Date;
}

export interface NudgeRecord {
  id: string;
  owner: Address;
  channel: NudgeChannelKind;
  dedupeKey: string;
  reason: string;
  message: string;
  status: NudgeStatus;
  attempts: number;
  lastError: string | null;
  dueAt: Date;
  deliveredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NudgeOutcome {
  status: "delivered" | "failed";
  attempts: number;
  lastError: string | null;
}

export interface NudgesPage {
  items: NudgeRecord[];
  nextCursor: string | null;
}

export interface NudgesRepository {
  /** The new nudge, or null when this intervention already exists on this channel. */
  reserve(nudge: NewNudge): Promise<NudgeRecord | null>;
  find(owner: string, channel: NudgeChannelKind, dedupeKey: string): Promise<NudgeRecord | null>;
  /**
   * The coach's interventions (dedupe keys starting `coach:`) of up to 1,000 owners created at or after `since`,
   * at most 10,000 rows: what the scheduler's pass reads once per page to answer `find` for its commitments.
   */
  coachInterventionsSince(owners: readonly string[], since: Date): Promise<NudgeRecord[]>;
  /** Distinct interventions (reminders excluded) created in `[from, to)`: what the daily cap counts. At most 100. */
  interventionKeysBetween(owner: string, from: Date, to: Date): Promise<string[]>;
  /** Records how delivery ended. */
  setOutcome(id: string, outcome: NudgeOutcome): Promise<NudgeRecord>;
  /** Scheduled reminders due at or before `at`, oldest first (bounded by `limit`, max 500). */
  listDue(at: Date, limit?: number): Promise<NudgeRecord[]>;
  /** Moves a scheduled reminder to `pending`; null when another worker already took it. */
  claimScheduled(id: string): Promise<NudgeRecord | null>;
  /** The in-app feed: delivered `inApp` nudges, newest first. */
  listFeed(owner: string, parameters?: { limit?: number; cursor?: string }): Promise<NudgesPage>;
  /** Every nudge of the owner in any state, newest first (at most `limit`, max 500). */
  listByOwner(owner: string, limit?: number): Promise<NudgeRecord[]>;
  /** How many reminders of the owner wait to be delivered (`scheduled`), counted up to `atMost` (max 1,000). */
  countScheduled(owner: string, atMost: number): Promise<number>;
  /** Serialises "check cap, then reserve" per owner until the surrounding transaction ends. */
  lockOwner(owner: string): Promise<void>;
}

const uuidSchema = z.uuid();
const keySchema = z.string().min(1).max(256);

/** A nudge to reserve, as `reserve` and the coach pass's batched reservation validate it. */
export const newNudgeSchema = z.object({
  owner: addressSchema,
  channel: z.enum(nudgeChannels),
  dedupeKey: keySchema,
  reason: z.string().min(1).max(64),
  message: z.string().min(1).max(2000),
  status: z.enum(["pending", "scheduled"]),
  dueAt: dateSchema,
});

/** A delivery's outcome, as `setOutcome` and the coach pass's batched outcomes validate it. */
export const outcomeSchema = z.object({
  status: z.enum(["delivered", "failed"]),
  attempts: z.number().int().min(0).max(1000),
  lastError: z.string().max(2000).nullable(),
});

const pages = timeKeyset({ table: nudges, field: "dueAt", order: "desc", map: withOwnerAddress });

const ownersSinceSchema = z.object({ owners: z.array(addressSchema).max(1000), since: dateSchema });
/** The key a nudge is deduplicated by: owner, channel and dedupe key. */
export const nudgeKeySchema = z.object({
  owner: addressSchema,
  channel: z.enum(nudgeChannels),
  dedupeKey: keySchema,
});
const ownerBetweenSchema = z.object({ owner: addressSchema, from: dateSchema, to: dateSchema });

export function createNudgesRepository(db: DatabaseExecutor, clock: Clock): NudgesRepository {
  const coachInterventionsSince = parsedMethod(
    ownersSinceSchema,
    "nudge owners",
    "nudge lookup",
    async (input) => {
      if (input.owners.length === 0) return [];
      const rows = await db
        .select()
        .from(nudges)
        .where(
          and(
            inArray(nudges.owner, [...new Set(input.owners)]),
            like(nudges.dedupeKey, "coach:%"),
            gte(nudges.createdAt, input.since),
          ),
        )
        .limit(10_000);
      return rows.map(withOwnerAddress);
    },
  );

  const find = parsedMethod(nudgeKeySchema, "nudge key", "nudge lookup", async (input) => {
    const where = and(
      eq(nudges.owner, input.owner),
      eq(nudges.channel, input.channel),
      eq(nudges.dedupeKey, input.dedupeKey),
    );
    return firstOrNull(await db.select().from(nudges).where(where).limit(1), withOwnerAddress);
  });

  const interventionKeysBetween = parsedMethod(
    ownerBetweenSchema,
    "nudge count query",
    "nudge count",
    async (input) => {
      const rows = await db
        .selectDistinct({ key: nudges.dedupeKey })
        .from(nudges)
        .where(
          and(
            eq(nudges.owner, input.owner),
            gte(nudges.createdAt, input.from),
            lt(nudges.createdAt, input.to),
            ne(nudges.status, "scheduled"),
            notLike(nudges.dedupeKey, `${REMINDER_KEY_PREFIX}%`),
          ),
        )
        .orderBy(asc(nudges.dedupeKey))
        .limit(100);
      return rows.map((row) => row.key);
    },
  );

  return {
    reserve: parsedMethod(newNudgeSchema, "nudge", "nudge insert", async (input) => {
      const now = new Date(clock.now());
      const rows = await db
        .insert(nudges)
        .values({ ...input, attempts: 0, lastError: null, createdAt: now, updatedAt: now })
        .onConflictDoNothing({ target: [nudges.owner, nudges.channel, nudges.dedupeKey] })
        .returning();
      return firstOrNull(rows, withOwnerAddress);
    }),

    coachInterventionsSince: (owners, since) => coachInterventionsSince({ owners, since }),
    find: (owner, channel, dedupeKey) => find({ owner, channel, dedupeKey }),
    interventionKeysBetween: (owner, from, to) => interventionKeysBetween({ owner, from, to }),

    setOutcome: async (id, outcome) => {
      const nudgeId = parseInput(uuidSchema, id, "nudge id");
      const input = parseInput(outcomeSchema, outcome, "nudge outcome");
      return withDatabaseErrors("nudge update", async () => {
        const now = new Date(clock.now());
        const rows = await db
          .update(nudges)
          .set({ ...input, deliveredAt: input.status === "delivered" ? now : null, updatedAt: now })
          .where(eq(nudges.id, nudgeId))
          .returning();
        if (rows[0] === undefined) throw new Error(`nudge ${nudgeId} vanished`);
        return withOwnerAddress(rows[0]);
      });
    },

    listDue: async (at, limit) => {
      const when = parseInput(dateSchema, at, "due time");
      const size = boundedLimit(limit, { fallback: 100, max: 500 });
      return withDatabaseErrors("due nudge list", async () => {
        const rows = await db
          .select()
          .from(nudges)
          .where(and(eq(nudges.status, "scheduled"), lte(nudges.dueAt, when)))
          .orderBy(asc(nudges.dueAt), asc(nudges.id))
          .limit(size);
        return rows.map(withOwnerAddress);
      });
    },

    claimScheduled: async (id) => {
      const nudgeId = parseInput(uuidSchema, id, "nudge id");
      return withDatabaseErrors("nudge claim", async () => {
        const rows = await db
          .update(nudges)
          .set({ status: "pending", updatedAt: new Date(clock.now()) })
          .where(and(eq(nudges.id, nudgeId), eq(nudges.status, "scheduled")))
          .returning();
        return firstOrNull(rows, withOwnerAddress);
      });
    },

    listFeed: async (owner, parameters = {}) => {
      const value = parseInput(addressSchema, owner, "owner");
      const delivered = and(
        eq(nudges.owner, value),
        eq(nudges.channel, "inApp"),
        eq(nudges.status, "delivered"),
      );
      return pages.read(
        db,
        delivered,
        parameters,
        { fallback: NUDGES_PAGE_DEFAULT, max: NUDGES_PAGE_MAX },
        "nudge feed",
      );
    },

    listByOwner: async (owner, limit) => {
      const value = parseInput(addressSchema, owner, "owner");
      const size = boundedLimit(limit, { fallback: 100, max: 500 });
      return withDatabaseErrors("nudge list", async () => {
        const rows = await db
          .select()
          .from(nudges)
          .where(eq(nudges.owner, value))
          .orderBy(desc(nudges.createdAt), desc(nudges.id))
          .limit(size);
        return rows.map(withOwnerAddress);
      });
    },

    countScheduled: countScheduledOf(db),

    lockOwner: async (owner) =>
      advisoryTransactionLock(db, `nudges:${parseInput(addressSchema, owner, "owner")}`, "nudge owner lock"),
  };
}

/** `countScheduled`: the owner's reminders waiting to be delivered, read up to `atMost` rows. */
function countScheduledOf(db: DatabaseExecutor): NudgesRepository["countScheduled"] {
  return async (owner, atMost) => {
    const value = parseInput(addressSchema, owner, "owner");
    const size = boundedLimit(atMost, { fallback: 100, max: 1000 });
    return withDatabaseErrors("scheduled reminder count", async () => {
      const rows = await db
        .select({ id: nudges.id })
        .from(nudges)
        .where(and(eq(nudges.owner, value), eq(nudges.status, "scheduled")))
        .limit(size);
      return rows.length;
    });
  };
}
