/**
 * Coaching preferences per owner (`PUT /api/preferences`): time zone, quiet hours, channels, daily cap and
 * the email address / webhook URL the channels deliver to. `get` returns null when the owner never saved any
 * (the coach then uses `DEFAULT_COACH_PREFERENCES`).
 */
import { eq, inArray } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull, onlyRow, parsedMethod } from "./repositoryMethods.ts";
import { coachPreferences, type NudgeChannelKind, nudgeChannels } from "./schema.ts";
import { addressSchema, parseInput, withOwnerAddress } from "./values.ts";

export interface CoachPreferencesInput {
  owner: string;
  timezone: string | null;
  quietStartMin: number;
  quietEndMin: number;
  channels: NudgeChannelKind[];
  dailyCap: number;
  email: string | null;
  webhookUrl: string | null;
}

export interface CoachPreferencesRecord extends Omit<CoachPreferencesInput, "owner"> {
  owner: Address;
  updatedAt: Date;
}

export interface CoachPreferencesRepository {
  get(owner: string): Promise<CoachPreferencesRecord | null>;
  /** The saved preferences of up to 1,000 owners in one query, by lowercase owner (absent: none saved). */
  getMany(owners: readonly string[]): Promise<Map<string, CoachPreferencesRecord>>;
  /** Replaces the owner's preferences. */
  put(preferences: CoachPreferencesInput): Promise<CoachPreferencesRecord>;
}

const minuteOfDay = z.number().int().min(0).max(1439);

const inputSchema = z.object({
  owner: addressSchema,
  timezone: z.string().min(1).max(64).nullable(),
  quietStartMin: minuteOfDay,
  quietEndMin: minuteOfDay,
  channels: z.array(z.enum(nudgeChannels)).max(nudgeChannels.length),
  dailyCap: z.number().int().min(0).max(50),
  email: z.string().max(254).nullable(),
  webhookUrl: z.string().max(2048).nullable(),
});

export function createCoachPreferencesRepository(
  db: DatabaseExecutor,
  clock: Clock,
): CoachPreferencesRepository {
  return {
    get: async (owner) => {
      const value = parseInput(addressSchema, owner, "owner");
      return withDatabaseErrors("coach preferences lookup", async () => {
        const rows = await db
          .select()
          .from(coachPreferences)
          .where(eq(coachPreferences.owner, value))
          .limit(1);
        return firstOrNull(rows, withOwnerAddress);
      });
    },

    getMany: async (owners) => {
      const values = parseInput(z.array(addressSchema).max(1000), owners, "owners");
      if (values.length === 0) return new Map();
      return withDatabaseErrors("coach preferences lookup", async () => {
        const rows = await db
          .select()
          .from(coachPreferences)
          .where(inArray(coachPreferences.owner, [...new Set(values)]));
        return new Map(rows.map((row) => [row.owner.toLowerCase(), withOwnerAddress(row)]));
      });
    },

    put: parsedMethod(inputSchema, "coach preferences", "coach preferences upsert", async (input) => {
      const { owner, ...fields } = input;
      const values = { ...input, updatedAt: new Date(clock.now()) };
      const rows = await db
        .insert(coachPreferences)
        .values(values)
        .onConflictDoUpdate({
          target: coachPreferences.owner,
          set: { ...fields, updatedAt: values.updatedAt },
        })
        .returning();
      return onlyRow(rows, withOwnerAddress);
    }),
  };
}
