/**
 * Rules documents by hash: `rulesHash` → the canonical (RFC 8785) JSON text it is the keccak256 of. The store
 * does not recompute the hash (that is the rules module's job); it keeps the first text stored for a hash and
 * refuses a different one.
 */
import { eq } from "drizzle-orm";
import type { Hex } from "viem";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import { ConflictError } from "../errors.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { firstOrNull } from "./repositoryMethods.ts";
import { rulesDocuments } from "./schema.ts";
import { bytes32Schema, parseInput, toHex } from "./values.ts";

export interface RulesDocumentRecord {
  rulesHash: Hex;
  canonicalJson: string;
  createdAt: Date;
}

export interface RulesDocumentsRepository {
  /**
   * Stores the document; storing the same text again returns the existing record. A different text under an
   * existing hash → ConflictError `rules_hash_mismatch`.
   */
  put(rulesHash: string, canonicalJson: string): Promise<RulesDocumentRecord>;
  get(rulesHash: string): Promise<RulesDocumentRecord | null>;
}

const putSchema = z.object({ rulesHash: bytes32Schema, canonicalJson: z.string().min(2).max(65_536) });

function toRecord(row: typeof rulesDocuments.$inferSelect): RulesDocumentRecord {
  return { rulesHash: toHex(row.rulesHash), canonicalJson: row.canonicalJson, createdAt: row.createdAt };
}

export function createRulesDocumentsRepository(db: DatabaseExecutor, clock: Clock): RulesDocumentsRepository {
  const get = async (rulesHash: string): Promise<RulesDocumentRecord | null> => {
    const hash = parseInput(bytes32Schema, rulesHash, "rules hash");
    return withDatabaseErrors("rules document lookup", async () => {
      const rows = await db.select().from(rulesDocuments).where(eq(rulesDocuments.rulesHash, hash)).limit(1);
      return firstOrNull(rows, toRecord);
    });
  };

  return {
    put: async (rulesHash, canonicalJson) => {
      const input = parseInput(putSchema, { rulesHash, canonicalJson }, "rules document");
      return withDatabaseErrors("rules document insert", async () => {
        const inserted = await db
          .insert(rulesDocuments)
          .values({ ...input, createdAt: new Date(clock.now()) })
          .onConflictDoNothing({ target: rulesDocuments.rulesHash })
          .returning();
        if (inserted[0] !== undefined) return toRecord(inserted[0]);
        const existing = await get(input.rulesHash);
        if (existing === null) throw new Error("unreachable: conflicting rules document vanished");
        if (existing.canonicalJson !== input.canonicalJson) {
          throw new ConflictError({
            code: "rules_hash_mismatch",
            message: "A different rules document is already stored under this hash.",
            details: { rulesHash: input.rulesHash },
          });
        }
        return existing;
      });
    },

    get,
  };
}
