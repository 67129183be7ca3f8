/**
 * Idempotency keys for mutating requests (`Idempotency-Key` header), scoped per owner. The first request with
 * a key claims it (`pending`), runs, and completes it with its response; a retry with the same key and the
 * same request gets that response back (or learns the first is still running); a different request under
 * the same key is a conflict. Keys expire, and an expired key can be claimed afresh.
 */
import { and, eq, lte, or, sql } from "drizzle-orm";
import type { Address } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { DatabaseExecutor } from "./database.ts";
import { firstOrNull, parsedMethod, purgeExpiredRows, ttlWindow } from "./repositoryMethods.ts";
import { type IdempotencyState, idempotencyKeys } from "./schema.ts";
import { addressSchema, ttlMsSchema, withOwnerAddress } from "./values.ts";

export const PURGE_BATCH_DEFAULT = 500;
export const PURGE_BATCH_MAX = 10_000;

export interface IdempotencyKeyRef {
  owner: string;
  key: string;
}

export interface ClaimIdempotencyKeyParameters extends IdempotencyKeyRef {
  /** Hash of the request (method, path, body) the key was first used with. */
  requestHash: string;
  ttlMs: number;
  /**
   * A `pending` claim of the same request older than this is taken over (its holder died: a process killed while
   * it ran the request never completes nor releases it). Absent: a pending claim is only ever released.
   */
  pendingLeaseMs?: number;
}

export interface CompleteIdempotencyKeyParameters extends IdempotencyKeyRef {
  responseStatus: number;
  /** JSON. */
  responseBody: unknown;
  /** The claim's `createdAt`: only that claim is completed (not one that took the key over since). */
  claimedAt?: Date;
}

export interface IdempotencyRecord {
  owner: Address;
  key: string;
  requestHash: string;
  state: IdempotencyState;
  responseStatus: number | null;
  responseBody: unknown;
  createdAt: Date;
  expiresAt: Date;
}

export type ClaimIdempotencyKeyReturnType =
  /** The caller owns the key now: run the request, then `complete` (or `release` on failure). */
  | { outcome: "claimed"; record: IdempotencyRecord }
  /** Another request with this key is running. */
  | { outcome: "in_progress"; record: IdempotencyRecord }
  /** Replay `record.responseStatus` / `record.responseBody`. */
  | { outcome: "completed"; record: IdempotencyRecord };

export interface PurgeParameters {
  /** Most rows deleted by this call, clamped to 1..10 000. Default 500. */
  limit?: number;
}

export interface IdempotencyKeysRepository {
  /** A different `requestHash` under a live key → ConflictError `idempotency_key_reused`. */
  claim(parameters: ClaimIdempotencyKeyParameters): Promise<ClaimIdempotencyKeyReturnType>;
  /**
   * Records the response of a claimed key. No live key → NotFoundError `idempotency_key_not_found`;
   * already completed → ConflictError `idempotency_key_completed`; with `claimedAt`, claimed again by another
   * request since → ConflictError `idempotency_key_claimed_again`.
   */
  complete(parameters: CompleteIdempotencyKeyParameters): Promise<IdempotencyRecord>;
  /**
   * Drops a pending claim (the request failed before producing a response), so a retry can run; with `claimedAt`,
   * only that claim (not one that took the key over since).
   */
  release(ref: IdempotencyKeyRef & { claimedAt?: Date }): Promise<boolean>;
  /** The live (unexpired) key, or null. */
  get(ref: IdempotencyKeyRef): Promise<IdempotencyRecord | null>;
  /** Deletes up to `limit` expired keys; returns how many. Call repeatedly until it returns less than `limit`. */
  purgeExpired(parameters?: PurgeParameters): Promise<number>;
}

const refSchema = z.object({ owner: addressSchema, key: z.string().min(1).max(255) });
const claimSchema = refSchema.extend({
  requestHash: z.string().min(1).max(256),
  ttlMs: ttlMsSchema,
  pendingLeaseMs: ttlMsSchema.optional(),
});
const claimedAtSchema = z.date().optional();
const completeSchema = refSchema.extend({
  responseStatus: z.number().int().min(100).max(599),
  responseBody: z.json(),
  claimedAt: claimedAtSchema,
});
const releaseSchema = refSchema.extend({ claimedAt: claimedAtSchema });

/** Only the claim made at `claimedAt`, when given. */
const claimMadeAt = (claimedAt: Date | undefined) =>
  claimedAt === undefined ? undefined : eq(idempotencyKeys.createdAt, claimedAt);

export function createIdempotencyKeysRepository(
  db: DatabaseExecutor,
  clock: Clock,
): IdempotencyKeysRepository {
  const live = (ref: z.output<typeof refSchema>, now: Date) =>
    and(
      eq(idempotencyKeys.owner, ref.owner),
      eq(idempotencyKeys.key, ref.key),
      sql`${idempotencyKeys.expiresAt} > ${now.toISOString()}::timestamptz`,
    );

  return {
    claim: parsedMethod(claimSchema, "idempotency claim", "idempotency claim", async (input) => {
      // A live key can be released by its holder between our two statements; then the claim is retried.
      for (let attempt = 0; ; attempt++) {
        const lifetime = ttlWindow(clock, input.ttlMs);
        const now = lifetime.createdAt;
        const fresh = {
          owner: input.owner,
          key: input.key,
          requestHash: input.requestHash,
          state: "pending" as const,
          responseStatus: null,
          responseBody: null,
          ...lifetime,
        };
        // Insert, or take over an expired row (or the same request's pending claim past its lease); any other
        // live row is left alone (and nothing is returned).
        const abandoned =
          input.pendingLeaseMs === undefined
            ? undefined
            : and(
                eq(idempotencyKeys.state, "pending"),
                eq(idempotencyKeys.requestHash, input.requestHash),
                lte(idempotencyKeys.createdAt, new Date(now.getTime() - input.pendingLeaseMs)),
              );
        const claimed = await db
          .insert(idempotencyKeys)
          .values(fresh)
          .onConflictDoUpdate({
            target: [idempotencyKeys.owner, idempotencyKeys.key],
            set: fresh,
            setWhere: or(lte(idempotencyKeys.expiresAt, now), abandoned),
          })
          .returning();
        if (claimed[0] !== undefined) return { outcome: "claimed", record: withOwnerAddress(claimed[0]) };
        const rows = await db.select().from(idempotencyKeys).where(live(input, now)).limit(1);
        const existing = rows[0];
        if (existing === undefined) {
          if (attempt < 2) continue;
          throw new ConflictError({
            code: "idempotency_key_contended",
            message: "This idempotency key is being claimed and released concurrently; retry.",
            details: { key: input.key },
          });
        }
        if (existing.requestHash !== input.requestHash) {
          throw new ConflictError({
            code: "idempotency_key_reused",
            message: "This idempotency key was already used for a different request.",
            details: { key: input.key },
          });
        }
        return {
          outcome: existing.state === "completed" ? "completed" : "in_progress",
          record: withOwnerAddress(existing),
        };
      }
    }),

    complete: parsedMethod(
      completeSchema,
      "idempotency completion",
      "idempotency completion",
      async (input) => {
        const now = new Date(clock.now());
        const rows = await db
          .update(idempotencyKeys)
          .set({ state: "completed", responseStatus: input.responseStatus, responseBody: input.responseBody })
          .where(and(live(input, now), eq(idempotencyKeys.state, "pending"), claimMadeAt(input.claimedAt)))
          .returning();
        if (rows[0] !== undefined) return withOwnerAddress(rows[0]);
        const existing = await db.select().from(idempotencyKeys).where(live(input, now)).limit(1);
        if (existing[0] === undefined) {
          throw new NotFoundError({
            code: "idempotency_key_not_found",
            message: "No live claim for this idempotency key.",
            details: { key: input.key },
          });
        }
        if (existing[0].state === "pending") {
          throw new ConflictError({
            code: "idempotency_key_claimed_again",
            message: "This idempotency key was taken over by a later claim (this one's lease passed).",
            details: { key: input.key },
          });
        }
        throw new ConflictError({
          code: "idempotency_key_completed",
          message: "This idempotency key already has a response.",
          details: { key: input.key },
        });
      },
    ),

    release: parsedMethod(releaseSchema, "idempotency key", "idempotency release", async (input) => {
      const rows = await db
        .delete(idempotencyKeys)
        .where(
          and(
            eq(idempotencyKeys.owner, input.owner),
            eq(idempotencyKeys.key, input.key),
            eq(idempotencyKeys.state, "pending"),
            claimMadeAt(input.claimedAt),
          ),
        )
        .returning({ key: idempotencyKeys.key });
      return rows.length > 0;
    }),

    get: parsedMethod(refSchema, "idempotency key", "idempotency lookup", async (input) => {
      const rows = await db
        .select()
        .from(idempotencyKeys)
        .where(live(input, new Date(clock.now())))
        .limit(1);
      return firstOrNull(rows, withOwnerAddress);
    }),

    purgeExpired: purgeExpiredRows(
      db,
      clock,
      idempotencyKeys,
      [idempotencyKeys.owner, idempotencyKeys.key],
      "idempotency purge",
      { fallback: PURGE_BATCH_DEFAULT, max: PURGE_BATCH_MAX },
    ),
  };
}
