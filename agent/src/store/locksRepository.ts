/**
 * Named leases for single-flight work (one keeper run, one relayer submission at a time) when Redis is not
 * configured. `tryAcquire` is one INSERT .. ON CONFLICT DO UPDATE that only takes over an expired lease or
 * renews the caller's own, so at most one owner holds a name at any time; a holder that dies simply lets
 * its lease expire. A lease is held strictly before `expiresAt`.
 */
import { and, eq, lte, or } from "drizzle-orm";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { parsedMethod, purgeInBatches, ttlWindow } from "./repositoryMethods.ts";
import { locks } from "./schema.ts";
import { labelSchema, ttlMsSchema } from "./values.ts";

export interface LocksRepository {
  /** True when `owner` now holds `name` for `ttlMs` (newly, or renewed because it already held it). */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** True when `owner` held `name` (expired or not) and released it; false when someone else holds it. */
  release(name: string, owner: string): Promise<boolean>;
  /**
   * Deletes up to `limit` leases (default 500) that expired over `LEASE_PURGE_AFTER_MS` ago: a holder that died, or
   * whose release failed, leaves its row behind, and claim leases are named per milestone, so they would pile up.
   */
  purgeExpired(parameters?: { limit?: number }): Promise<number>;
}

/** How long after its expiry a lease is purged: far past any holder still finishing its work. */
export const LEASE_PURGE_AFTER_MS = 60 * 60_000;

const acquireSchema = z.object({ name: labelSchema, owner: labelSchema, ttlMs: ttlMsSchema });
const releaseSchema = z.object({ name: labelSchema, owner: labelSchema });

export function createLocksRepository(db: DatabaseExecutor, clock: Clock): LocksRepository {
  const acquire = parsedMethod(acquireSchema, "lock", "lock acquisition", async (input) => {
    const { createdAt: now, expiresAt } = ttlWindow(clock, input.ttlMs);
    const lease = { name: input.name, owner: input.owner, acquiredAt: now, expiresAt };
    const rows = await db
      .insert(locks)
      .values(lease)
      .onConflictDoUpdate({
        target: locks.name,
        set: lease,
        setWhere: or(lte(locks.expiresAt, now), eq(locks.owner, input.owner)),
      })
      .returning({ owner: locks.owner });
    return rows.length === 1;
  });

  const release = parsedMethod(releaseSchema, "lock", "lock release", async (input) => {
    const rows = await db
      .delete(locks)
      .where(and(eq(locks.name, input.name), eq(locks.owner, input.owner)))
      .returning({ name: locks.name });
    return rows.length === 1;
  });

  return {
    tryAcquire: (name, owner, ttlMs) => acquire({ name, owner, ttlMs }),
    release: (name, owner) => release({ name, owner }),
    purgeExpired: purgeInBatches({
      db,
      table: locks,
      key: [locks.name],
      expired: () => lte(locks.expiresAt, new Date(clock.now() - LEASE_PURGE_AFTER_MS)),
      operation: "lease purge",
    }),
  };
}
