/**
 * Nudges and their delivery state. `reserve` inserts a nudge unless the same `(owner, channel, dedupeKey)`
 * exists (then null: the intervention was already sent on that channel), so two replicas can never deliver
 * one intervention twice. The in-app feed is the owner's delivered `inApp` nudges, newest first.
 */
import { and, asc, desc, eq, gte, inArray, like, lt, lte, ne, notLike, sql } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ValidationError } from "../errors.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { type NudgeChannelKind, type NudgeStatus, nudgeChannels, nudges } from "./schema.ts";
import { addressSchema, boundedLimit, dateSchema, parseInput, toAddress } from "./values.ts";

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
  /** Serialises "check cap, then reserve" per owner until the surrounding transaction ends. */
  lockOwner(owner: string): Promise<void>;
}

const uuidSchema = z.uuid();
const keySchema = z.string().min(1).max(256);

const newNudgeSchema = z.object({
  owner: addressSchema,
  channel: z.enum(nudgeChannels),
  dedupeKey: keySchema,
  reason: z.string().min(1).max(64),
  message: z.string().min(1).max(2000),
  status: z.enum(["pending", "scheduled"]),
  dueAt: dateSchema,
});

const outcomeSchema = z.object({
  status: z.enum(["delivered", "failed"]),
  attempts: z.number().int().min(0).max(1000),
  lastError: z.string().max(2000).nullable(),
});

const cursorSchema = z.object({ dueAt: z.iso.datetime(), id: uuidSchema });

type NudgeRow = typeof nudges.$inferSelect;

function toRecord(row: NudgeRow): NudgeRecord {
  return { ...row, owner: toAddress(row.owner) };
}

function decodeCursor(cursor: string): { dueAt: string; id: string } {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch (error) {
    throw new ValidationError({ code: "invalid_cursor", message: "Invalid page cursor.", cause: error });
  }
}

function encodeCursor(row: NudgeRow): string {
  return Buffer.from(JSON.stringify({ dueAt: row.dueAt.toISOString(), id: row.id })).toString("base64url");
}

export function createNudgesRepository(db: DatabaseExecutor, clock: Clock): NudgesRepository {
  return {
    reserve: async (nudge) => {
      const input = parseInput(newNudgeSchema, nudge, "nudge");
      return withDatabaseErrors("nudge insert", async () => {
        const now = new Date(clock.now());
        const rows = await db
          .insert(nudges)
          .values({ ...input, attempts: 0, lastError: null, createdAt: now, updatedAt: now })
          .onConflictDoNothing({ target: [nudges.owner, nudges.channel, nudges.dedupeKey] })
          .returning();
        return rows[0] === undefined ? null : toRecord(rows[0]);
      });
    },

    coachInterventionsSince: async (owners, since) => {
      const input = parseInput(
        z.object({ owners: z.array(addressSchema).max(1000), since: dateSchema }),
        { owners, since },
        "nudge owners",
      );
      if (input.owners.length === 0) return [];
      return withDatabaseErrors("nudge lookup", async () => {
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
        return rows.map(toRecord);
      });
    },

    find: async (owner, channel, dedupeKey) => {
      const input = parseInput(
        z.object({ owner: addressSchema, channel: z.enum(nudgeChannels), dedupeKey: keySchema }),
        { owner, channel, dedupeKey },
        "nudge key",
      );
      return withDatabaseErrors("nudge lookup", async () => {
        const rows = await db
          .select()
          .from(nudges)
          .where(
            and(
              eq(nudges.owner, input.owner),
              eq(nudges.channel, input.channel),
              eq(nudges.dedupeKey, input.dedupeKey),
            ),
          )
          .limit(1);
        return rows[0] === undefined ? null : toRecord(rows[0]);
      });
    },

    interventionKeysBetween: async (owner, from, to) => {
      const input = parseInput(
        z.object({ owner: addressSchema, from: dateSchema, to: dateSchema }),
        { owner, from, to },
        "nudge count query",
      );
      return withDatabaseErrors("nudge count", async () => {
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
      });
    },

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
        return toRecord(rows[0]);
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
        return rows.map(toRecord);
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
        return rows[0] === undefined ? null : toRecord(rows[0]);
      });
    },

    listFeed: async (owner, parameters = {}) => {
      const value = parseInput(addressSchema, owner, "owner");
      const limit = boundedLimit(parameters.limit, { fallback: NUDGES_PAGE_DEFAULT, max: NUDGES_PAGE_MAX });
      const after = parameters.cursor === undefined ? undefined : decodeCursor(parameters.cursor);
      return withDatabaseErrors("nudge feed", async () => {
        const rows = await db
          .select()
          .from(nudges)
          .where(
            and(
              eq(nudges.owner, value),
              eq(nudges.channel, "inApp"),
              eq(nudges.status, "delivered"),
              after === undefined
                ? undefined
                : sql`(${nudges.dueAt}, ${nudges.id}) < (${after.dueAt}::timestamptz, ${after.id}::uuid)`,
            ),
          )
          .orderBy(desc(nudges.dueAt), desc(nudges.id))
          .limit(limit + 1);
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        return {
          items: page.map(toRecord),
          nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
        };
      });
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
        return rows.map(toRecord);
      });
    },

    lockOwner: async (owner) => {
      const value = parseInput(addressSchema, owner, "owner");
      await withDatabaseErrors("nudge owner lock", async () => {
        await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`nudges:${value}`}))`);
      });
    },
  };
}
