/**
 * Sign-In with Ethereum nonces, kept in the database when Redis is not configured: issued with an expiry,
 * consumed at most once. `consume` is one conditional UPDATE, so two concurrent verifications of the same
 * nonce cannot both succeed. A nonce is usable strictly before `expiresAt`.
 */
import { and, eq, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { onlyRow, purgeInBatches, ttlWindow } from "./repositoryMethods.ts";
import { siweNonces } from "./schema.ts";
import { parseInput, ttlMsSchema } from "./values.ts";

export interface SiweNonceRecord {
  nonce: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface SiweNoncesRepository {
  /** Stores a fresh nonce. A nonce already stored → ConflictError `nonce_exists`. */
  issue(nonce: string, ttlMs: number): Promise<SiweNonceRecord>;
  /** True exactly once per issued, unexpired nonce; false when unknown, already used or expired. */
  consume(nonce: string): Promise<boolean>;
  /** Deletes up to `limit` used or expired nonces (clamped to 1..10 000, default 500); returns how many. */
  purgeExpired(parameters?: { limit?: number }): Promise<number>;
}

/** EIP-4361: at least 8 alphanumeric characters. */
const nonceSchema = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9]+$/, "must be alphanumeric");

export function createSiweNoncesRepository(db: DatabaseExecutor, clock: Clock): SiweNoncesRepository {
  return {
    issue: async (nonce, ttlMs) => {
      const input = parseInput(
        z.object({ nonce: nonceSchema, ttlMs: ttlMsSchema }),
        { nonce, ttlMs },
        "nonce",
      );
      return withDatabaseErrors("nonce issue", async () => {
        const rows = await db
          .insert(siweNonces)
          .values({ nonce: input.nonce, ...ttlWindow(clock, input.ttlMs) })
          .returning({
            nonce: siweNonces.nonce,
            createdAt: siweNonces.createdAt,
            expiresAt: siweNonces.expiresAt,
          });
        return onlyRow(rows, (row) => row);
      });
    },

    consume: async (nonce) => {
      if (!nonceSchema.safeParse(nonce).success) return false;
      return withDatabaseErrors("nonce consumption", async () => {
        const now = new Date(clock.now());
        const rows = await db
          .update(siweNonces)
          .set({ usedAt: now })
          .where(
            and(
              eq(siweNonces.nonce, nonce),
              isNull(siweNonces.usedAt),
              sql`${siweNonces.expiresAt} > ${now.toISOString()}::timestamptz`,
            ),
          )
          .returning({ nonce: siweNonces.nonce });
        return rows.length === 1;
      });
    },

    purgeExpired: purgeInBatches({
      db,
      table: siweNonces,
      key: [siweNonces.nonce],
      expired: () => or(isNotNull(siweNonces.usedAt), lte(siweNonces.expiresAt, new Date(clock.now()))),
      operation: "nonce purge",
    }),
  };
}
