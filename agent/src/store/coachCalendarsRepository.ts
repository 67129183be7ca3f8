/**
 * One iCalendar document per owner (uploaded, or fetched from a URL and refreshed by the coach). The text is
 * bounded here as well as at the route, so nothing oversized is ever stored.
 */
import { eq } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull, onlyRow, parsedMethod } from "./repositoryMethods.ts";
import { coachCalendars } from "./schema.ts";
import { addressSchema, dateSchema, parseInput, toAddress } from "./values.ts";

/** Largest iCalendar text stored (characters). */
export const CALENDAR_MAX_CHARS = 2 * 1024 * 1024;

export interface CoachCalendarInput {
  owner: string;
  /** Where it was fetched from; null for an upload. */
  url: string | null;
  ics: string;
  fetchedAt: Date;
}

export interface CoachCalendarRecord extends Omit<CoachCalendarInput, "owner"> {
  owner: Address;
  updatedAt: Date;
}

export interface CoachCalendarsRepository {
  get(owner: string): Promise<CoachCalendarRecord | null>;
  /** Replaces the owner's calendar. */
  put(calendar: CoachCalendarInput): Promise<CoachCalendarRecord>;
}

const inputSchema = z.object({
  owner: addressSchema,
  url: z.string().min(1).max(2048).nullable(),
  ics: z.string().min(1).max(CALENDAR_MAX_CHARS),
  fetchedAt: dateSchema,
});

function toRecord(row: typeof coachCalendars.$inferSelect): CoachCalendarRecord {
  return { ...row, owner: toAddress(row.owner) };
}

export function createCoachCalendarsRepository(db: DatabaseExecutor, clock: Clock): CoachCalendarsRepository {
  return {
    get: async (owner) => {
      const value = parseInput(addressSchema, owner, "owner");
      return withDatabaseErrors("calendar lookup", async () => {
        const rows = await db.select().from(coachCalendars).where(eq(coachCalendars.owner, value)).limit(1);
        return firstOrNull(rows, toRecord);
      });
    },

    put: parsedMethod(inputSchema, "calendar", "calendar upsert", async (input) => {
      const { owner, ...fields } = input;
      const updatedAt = new Date(clock.now());
      const rows = await db
        .insert(coachCalendars)
        .values({ ...input, updatedAt })
        .onConflictDoUpdate({ target: coachCalendars.owner, set: { ...fields, updatedAt } })
        .returning();
      return onlyRow(rows, toRecord);
    }),
  };
}
