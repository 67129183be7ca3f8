/**
 * Links between wallets and workout-provider athletes (Strava-style OAuth), with the provider's tokens.
 * One athlete per wallet and provider, one wallet per athlete. Tokens are opaque strings to this repository
 * (the providers layer may seal them with AES-256-GCM before they get here); they come back wrapped in
 * `Secret`, so logging or serialising a record prints `[redacted]`, and they never appear in error details.
 * A revoked account (the athlete withdrew access) keeps its row, without tokens, until its wallet unlinks it.
 */
import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { Secret } from "../configValues.ts";
import { ConflictError } from "../errors.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull, parsedMethod } from "./repositoryMethods.ts";
import { providerAccounts, workouts } from "./schema.ts";
import { addressSchema, boundedLimit, dateSchema, parseInput, withOwnerAddress } from "./values.ts";

export interface ProviderAccountRecord {
  provider: string;
  athleteId: string;
  owner: Address;
  /** As stored (sealed when a token key is configured); empty once revoked. Never logged, never returned. */
  accessToken: Secret<string>;
  refreshToken: Secret<string>;
  /** When the access token expires. */
  expiresAt: Date;
  /** Scopes the athlete granted, comma-separated as the provider reports them. */
  scope: string | null;
  /** Start time of the newest activity reconciliation has seen. */
  syncedUntil: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface LinkProviderAccountParameters {
  provider: string;
  athleteId: string;
  owner: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  scope?: string | null;
}

export interface UpdateProviderTokensParameters {
  provider: string;
  athleteId: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
}

export interface ListActiveProviderAccountsParameters {
  provider: string;
  /** Only athletes whose id sorts after this one (the last id of the previous page). */
  afterAthleteId?: string;
  /** Clamped to 1..500. Default 100. */
  limit?: number;
}

export interface ProviderAccountsRepository {
  /**
   * Links `athleteId` to `owner` with fresh tokens, or refreshes the tokens of that same link (clearing a
   * revocation; `syncedUntil` and `createdAt` are kept). The athlete linked to another wallet → ConflictError
   * `provider_athlete_linked`; the wallet linked to another athlete that has not been revoked → ConflictError
   * `provider_owner_linked` (a revoked one is replaced).
   */
  link(parameters: LinkProviderAccountParameters): Promise<ProviderAccountRecord>;
  getByAthlete(parameters: { provider: string; athleteId: string }): Promise<ProviderAccountRecord | null>;
  getByOwner(parameters: { provider: string; owner: string }): Promise<ProviderAccountRecord | null>;
  /** Stores refreshed tokens of an active account; null when there is none (unlinked or revoked meanwhile). */
  updateTokens(parameters: UpdateProviderTokensParameters): Promise<ProviderAccountRecord | null>;
  /** Marks the account revoked and forgets its tokens; true when it was active. */
  markRevoked(parameters: { provider: string; athleteId: string }): Promise<boolean>;
  /** Deletes the wallet's link (tokens and all); the deleted record, or null when there was none. */
  remove(parameters: { provider: string; owner: string }): Promise<ProviderAccountRecord | null>;
  /** Active (not revoked) accounts, ordered by athlete id, one bounded page at a time. */
  listActive(parameters: ListActiveProviderAccountsParameters): Promise<ProviderAccountRecord[]>;
  /** Moves `syncedUntil` forward to `syncedUntil` (never back); false when the account does not exist. */
  advanceSyncedUntil(parameters: {
    provider: string;
    athleteId: string;
    syncedUntil: Date;
  }): Promise<boolean>;
  /**
   * Which of `activityIds` (at most 500) are already stored as workouts of `owner` from `provider` (accepted or
   * rejected, any source: a provider's manual activity is stored as a manual log), so reconciliation and
   * webhook updates do not fetch them again.
   */
  storedActivityIds(parameters: {
    provider: string;
    owner: string;
    activityIds: readonly string[];
  }): Promise<Set<string>>;
}

const providerSchema = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z0-9_-]+$/, "must be a lower-case provider name");
const athleteIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "must be an identifier");
/** An opaque token (or its sealed form). The value itself never appears in an issue message. */
const tokenSchema = z.string().min(1).max(4096);

const linkSchema = z.object({
  provider: providerSchema,
  athleteId: athleteIdSchema,
  owner: addressSchema,
  accessToken: tokenSchema,
  refreshToken: tokenSchema,
  expiresAt: dateSchema,
  scope: z.string().max(512).nullish(),
});

const tokensSchema = z.object({
  provider: providerSchema,
  athleteId: athleteIdSchema,
  accessToken: tokenSchema,
  refreshToken: tokenSchema,
  expiresAt: dateSchema,
});

const athleteKeySchema = z.object({ provider: providerSchema, athleteId: athleteIdSchema });
const ownerKeySchema = z.object({ provider: providerSchema, owner: addressSchema });

type AccountRow = typeof providerAccounts.$inferSelect;

function toRecord(row: AccountRow): ProviderAccountRecord {
  return {
    ...withOwnerAddress(row),
    accessToken: new Secret(row.accessToken),
    refreshToken: new Secret(row.refreshToken),
  };
}

/** The two uniqueness rules, as the conflicts callers can act on (tokens never go into details). */
function linkConflict(kind: "athlete" | "owner", provider: string): ConflictError {
  return kind === "athlete"
    ? new ConflictError({
        code: "provider_athlete_linked",
        message: "This provider account is already linked to another wallet; unlink it there first.",
        details: { provider },
      })
    : new ConflictError({
        code: "provider_owner_linked",
        message: "This wallet is already linked to another account of this provider; unlink it first.",
        details: { provider },
      });
}

const byAthleteKey = (provider: string, athleteId: string) =>
  and(eq(providerAccounts.provider, provider), eq(providerAccounts.athleteId, athleteId));
const byOwnerKey = (provider: string, owner: string) =>
  and(eq(providerAccounts.provider, provider), eq(providerAccounts.owner, owner));

export function createProviderAccountsRepository(
  db: DatabaseExecutor,
  clock: Clock,
): ProviderAccountsRepository {
  const selectOne = async (where: ReturnType<typeof and>): Promise<ProviderAccountRecord | null> =>
    firstOrNull(await db.select().from(providerAccounts).where(where).limit(1), toRecord);

  return {
    link: async (parameters) =>
      linkAccount(db, clock, parseInput(linkSchema, parameters, "provider account")),

    getByAthlete: parsedMethod(athleteKeySchema, "provider account key", "provider account lookup", (key) =>
      selectOne(byAthleteKey(key.provider, key.athleteId)),
    ),

    getByOwner: parsedMethod(ownerKeySchema, "provider account key", "provider account lookup", (key) =>
      selectOne(byOwnerKey(key.provider, key.owner)),
    ),

    updateTokens: parsedMethod(tokensSchema, "provider tokens", "provider token update", async (input) => {
      const { accessToken, refreshToken, expiresAt } = input;
      const rows = await db
        .update(providerAccounts)
        .set({ accessToken, refreshToken, expiresAt, updatedAt: new Date(clock.now()) })
        .where(and(byAthleteKey(input.provider, input.athleteId), isNull(providerAccounts.revokedAt)))
        .returning();
      return firstOrNull(rows, toRecord);
    }),

    markRevoked: parsedMethod(
      athleteKeySchema,
      "provider account key",
      "provider account revocation",
      async (key) => {
        const now = new Date(clock.now());
        const rows = await db
          .update(providerAccounts)
          .set({ accessToken: "", refreshToken: "", expiresAt: now, revokedAt: now, updatedAt: now })
          .where(and(byAthleteKey(key.provider, key.athleteId), isNull(providerAccounts.revokedAt)))
          .returning({ athleteId: providerAccounts.athleteId });
        return rows.length === 1;
      },
    ),

    remove: parsedMethod(ownerKeySchema, "provider account key", "provider account removal", async (key) =>
      firstOrNull(
        await db.delete(providerAccounts).where(byOwnerKey(key.provider, key.owner)).returning(),
        toRecord,
      ),
    ),

    listActive: async (parameters) => {
      const input = parseInput(
        z.object({ provider: providerSchema, afterAthleteId: athleteIdSchema.optional() }),
        { provider: parameters.provider, afterAthleteId: parameters.afterAthleteId },
        "provider account list",
      );
      const limit = boundedLimit(parameters.limit, { fallback: 100, max: 500 });
      return withDatabaseErrors("provider account list", async () => {
        const rows = await db
          .select()
          .from(providerAccounts)
          .where(
            and(
              eq(providerAccounts.provider, input.provider),
              isNull(providerAccounts.revokedAt),
              input.afterAthleteId === undefined
                ? undefined
                : gt(providerAccounts.athleteId, input.afterAthleteId),
            ),
          )
          .orderBy(asc(providerAccounts.athleteId))
          .limit(limit);
        return rows.map(toRecord);
      });
    },

    advanceSyncedUntil: parsedMethod(
      athleteKeySchema.extend({ syncedUntil: dateSchema }),
      "provider sync position",
      "provider sync update",
      async (input) => {
        const at = input.syncedUntil.toISOString();
        const rows = await db
          .update(providerAccounts)
          .set({
            syncedUntil: sql`greatest(coalesce(${providerAccounts.syncedUntil}, ${at}::timestamptz), ${at}::timestamptz)`,
            updatedAt: new Date(clock.now()),
          })
          .where(byAthleteKey(input.provider, input.athleteId))
          .returning({ athleteId: providerAccounts.athleteId });
        return rows.length === 1;
      },
    ),

    storedActivityIds: async (parameters) => {
      const input = parseInput(storedActivitySchema, parameters, "provider activity ids");
      if (input.activityIds.length === 0) return new Set();
      return withDatabaseErrors("provider activity lookup", async () => {
        const rows = await db
          .selectDistinct({ id: workouts.providerActivityId })
          .from(workouts)
          .where(
            and(
              eq(workouts.owner, input.owner),
              eq(workouts.provider, input.provider),
              inArray(workouts.providerActivityId, input.activityIds),
            ),
          );
        return new Set(rows.flatMap((row) => (row.id === null ? [] : [row.id])));
      });
    },
  };
}

const storedActivitySchema = z.object({
  provider: providerSchema,
  owner: addressSchema,
  activityIds: z.array(z.string().min(1).max(256)).max(500),
});

/**
 * `link` in one transaction: the athlete's row locked first (another wallet's → conflict), else this wallet's
 * row for the provider (a live one → conflict; a revoked one is replaced), then the upsert.
 */
async function linkAccount(
  db: DatabaseExecutor,
  clock: Clock,
  input: z.output<typeof linkSchema>,
): Promise<ProviderAccountRecord> {
  try {
    return await withDatabaseErrors("provider account link", () =>
      db.transaction(async (tx) => {
        const now = new Date(clock.now());
        const [athleteRow] = await tx
          .select()
          .from(providerAccounts)
          .where(byAthleteKey(input.provider, input.athleteId))
          .for("update");
        if (athleteRow !== undefined && athleteRow.owner !== input.owner) {
          throw linkConflict("athlete", input.provider);
        }
        if (athleteRow === undefined) {
          const [ownerRow] = await tx
            .select()
            .from(providerAccounts)
            .where(byOwnerKey(input.provider, input.owner))
            .for("update");
          if (ownerRow !== undefined) {
            if (ownerRow.revokedAt === null) throw linkConflict("owner", input.provider);
            await tx.delete(providerAccounts).where(byAthleteKey(ownerRow.provider, ownerRow.athleteId));
          }
        }
        const tokens = {
          accessToken: input.accessToken,
          refreshToken: input.refreshToken,
          expiresAt: input.expiresAt,
          scope: input.scope ?? null,
          revokedAt: null,
          updatedAt: now,
        };
        const rows = await tx
          .insert(providerAccounts)
          .values({
            provider: input.provider,
            athleteId: input.athleteId,
            owner: input.owner,
            ...tokens,
            syncedUntil: null,
            createdAt: now,
          })
          .onConflictDoUpdate({
            target: [providerAccounts.provider, providerAccounts.athleteId],
            set: tokens,
            // Only the same wallet's link is refreshed; a concurrent link by another wallet stays.
            setWhere: eq(providerAccounts.owner, input.owner),
          })
          .returning();
        const linked = firstOrNull(rows, toRecord);
        if (linked === null) throw linkConflict("athlete", input.provider);
        return linked;
      }),
    );
  } catch (error) {
    // A concurrent link that slipped between the checks and the insert hits a unique index instead.
    if (error instanceof ConflictError && error.details.table === "provider_accounts") {
      throw linkConflict(
        error.details.constraint === "provider_accounts_owner_key" ? "owner" : "athlete",
        input.provider,
      );
    }
    throw error;
  }
}
