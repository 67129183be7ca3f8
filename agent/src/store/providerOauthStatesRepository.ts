/**
 * Single-use OAuth `state` values for provider authorisations (CSRF protection): issued to a signed-in wallet
 * with an expiry, consumed at most once. `consume` deletes the row whatever its expiry (one DELETE .. RETURNING,
 * so two concurrent callbacks with the same state cannot both get it) and reports it only while unexpired.
 * A state is usable strictly before `expiresAt`.
 */
import { and, eq } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { onlyRow, parsedMethod, purgeExpiredRows, ttlWindow } from "./repositoryMethods.ts";
import { providerOauthStates } from "./schema.ts";
import { addressSchema, ttlMsSchema, withOwnerAddress } from "./values.ts";

export interface ProviderOauthStateRecord {
  state: string;
  provider: string;
  owner: Address;
  createdAt: Date;
  expiresAt: Date;
}

export interface IssueProviderOauthStateParameters {
  state: string;
  provider: string;
  owner: string;
  ttlMs: number;
}

export interface ProviderOauthStatesRepository {
  /** Stores a fresh state bound to `owner`. A state already stored → ConflictError. */
  issue(parameters: IssueProviderOauthStateParameters): Promise<ProviderOauthStateRecord>;
  /**
   * Takes the state out of the store: the record when it existed for this provider and had not expired, else
   * null (unknown, already consumed, expired or another provider's). Either way it can never be used again.
   */
  consume(parameters: { state: string; provider: string }): Promise<ProviderOauthStateRecord | null>;
  /** Deletes up to `limit` expired states (clamped to 1..10 000, default 500); returns how many. */
  purgeExpired(parameters?: { limit?: number }): Promise<number>;
}

/** Random URL-safe tokens: 16 to 128 characters of base64url. */
export const oauthStateSchema = z
  .string()
  .min(16)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, "must be base64url");

const providerSchema = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9_-]+$/, "must be a lower-case provider name");

const issueSchema = z.object({
  state: oauthStateSchema,
  provider: providerSchema,
  owner: addressSchema,
  ttlMs: ttlMsSchema,
});

export function createProviderOauthStatesRepository(
  db: DatabaseExecutor,
  clock: Clock,
): ProviderOauthStatesRepository {
  return {
    issue: parsedMethod(issueSchema, "oauth state", "oauth state issue", async (input) => {
      const { state, provider, owner } = input;
      const rows = await db
        .insert(providerOauthStates)
        .values({ state, provider, owner, ...ttlWindow(clock, input.ttlMs) })
        .returning();
      return onlyRow(rows, withOwnerAddress);
    }),

    consume: async ({ state, provider }) => {
      if (!oauthStateSchema.safeParse(state).success || !providerSchema.safeParse(provider).success) {
        return null;
      }
      return withDatabaseErrors("oauth state consumption", async () => {
        const rows = await db
          .delete(providerOauthStates)
          .where(and(eq(providerOauthStates.state, state), eq(providerOauthStates.provider, provider)))
          .returning();
        const row = rows[0];
        if (row === undefined || row.expiresAt.getTime() <= clock.now()) return null;
        return withOwnerAddress(row);
      });
    },

    purgeExpired: purgeExpiredRows(
      db,
      clock,
      providerOauthStates,
      [providerOauthStates.state],
      "oauth state purge",
    ),
  };
}
