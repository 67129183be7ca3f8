/**
 * Read-only query for the coach's scheduler: commitments (from the indexer's cache) whose milestone windows
 * are running at a given instant, across owners, by ascending id in bounded keyset pages.
 */
import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { CommitmentRecord } from "./commitmentsRepository.ts";
import type { DatabaseExecutor } from "./database.ts";
import { onVault, parsedPageMethod } from "./repositoryMethods.ts";
import { commitmentsCache } from "./schema.ts";
import { safeUintSchema, toAddress, toHex, uint256Schema } from "./values.ts";
import { type VaultKey, vaultKeySchema, vaultOf } from "./vaultKeys.ts";

export const ACTIVE_COMMITMENTS_PAGE_MAX = 1000;

export interface ListActiveCommitmentsParameters extends VaultKey {
  /** Unix seconds: commitments with `start <= at < start + milestones * period`, not closed. */
  at: number;
  /** Only ids greater than this (the last id of the previous page). */
  afterId?: bigint;
  /** Clamped to 1..1000. Default 500. */
  limit?: number;
}

export interface ActiveCommitmentsRepository {
  list(parameters: ListActiveCommitmentsParameters): Promise<CommitmentRecord[]>;
}

const parametersSchema = vaultKeySchema.extend({ at: safeUintSchema, afterId: uint256Schema.optional() });

export function createActiveCommitmentsRepository(
  db: DatabaseExecutor,
  _clock: Clock,
): ActiveCommitmentsRepository {
  return {
    list: parsedPageMethod(
      parametersSchema,
      "active commitments query",
      "active commitments list",
      { fallback: 500, max: ACTIVE_COMMITMENTS_PAGE_MAX },
      async (input, limit) => {
        const c = commitmentsCache;
        const rows = await db
          .select()
          .from(c)
          .where(
            and(
              onVault(c, input),
              eq(c.closed, false),
              lte(c.start, input.at),
              sql`${c.start} + ${c.milestones}::bigint * ${c.period} > ${input.at}`,
              input.afterId === undefined ? undefined : gt(c.commitmentId, input.afterId),
            ),
          )
          .orderBy(asc(c.commitmentId))
          .limit(limit);
        return rows.map((row) => ({
          ...row,
          ...vaultOf(row),
          owner: toAddress(row.owner),
          token: toAddress(row.token),
          beneficiary: toAddress(row.beneficiary),
          rulesHash: toHex(row.rulesHash),
        }));
      },
    ),
  };
}
