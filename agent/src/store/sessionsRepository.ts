/**
 * Sign-In with Ethereum sessions, kept in the database when Redis is not configured. Store a hash of the
 * cookie token as `id`, never the token itself. A session is valid strictly before `expiresAt`.
 */
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Session } from "../auth/stores.ts";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull, onlyRow, parsedMethod, purgeExpiredRows, ttlWindow } from "./repositoryMethods.ts";
import { sessions } from "./schema.ts";
import { addressSchema, chainIdSchema, toAddress, ttlMsSchema } from "./values.ts";

export interface CreateSessionParameters {
  id: string;
  address: string;
  chainId: number;
  ttlMs: number;
}

/** A stored session: the sign-in port's `Session`, which this repository implements. */
export type SessionRecord = Session;

export interface SessionsRepository {
  /** An id already taken → ConflictError `session_exists`. */
  create(parameters: CreateSessionParameters): Promise<SessionRecord>;
  /** The session while it is valid; null when unknown or expired. */
  get(id: string): Promise<SessionRecord | null>;
  /** Logout. True when a session was deleted. */
  delete(id: string): Promise<boolean>;
  /** Deletes up to `limit` expired sessions (clamped to 1..10 000, default 500); returns how many. */
  purgeExpired(parameters?: { limit?: number }): Promise<number>;
}

const idSchema = z.string().min(16).max(256);
const createSchema = z.object({
  id: idSchema,
  address: addressSchema,
  chainId: chainIdSchema,
  ttlMs: ttlMsSchema,
});

function toRecord(row: typeof sessions.$inferSelect): SessionRecord {
  return { ...row, address: toAddress(row.address) };
}

export function createSessionsRepository(db: DatabaseExecutor, clock: Clock): SessionsRepository {
  return {
    create: parsedMethod(createSchema, "session", "session creation", async (input) => {
      const rows = await db
        .insert(sessions)
        .values({
          id: input.id,
          address: input.address,
          chainId: input.chainId,
          ...ttlWindow(clock, input.ttlMs),
        })
        .returning();
      return onlyRow(rows, toRecord);
    }),

    get: async (id) => {
      if (!idSchema.safeParse(id).success) return null;
      return withDatabaseErrors("session lookup", async () => {
        const now = new Date(clock.now()).toISOString();
        const rows = await db
          .select()
          .from(sessions)
          .where(and(eq(sessions.id, id), sql`${sessions.expiresAt} > ${now}::timestamptz`))
          .limit(1);
        return firstOrNull(rows, toRecord);
      });
    },

    delete: async (id) => {
      if (!idSchema.safeParse(id).success) return false;
      return withDatabaseErrors("session deletion", async () => {
        const rows = await db.delete(sessions).where(eq(sessions.id, id)).returning({ id: sessions.id });
        return rows.length > 0;
      });
    },

    purgeExpired: purgeExpiredRows(db, clock, sessions, [sessions.id], "session purge"),
  };
}
