/**
 * The audit log: who did what to which subject, when. Append-only by construction (this repository has no
 * update or delete) and by the database (migration 0001's trigger rejects UPDATE, DELETE and TRUNCATE).
 */
import { and, desc, eq, lt } from "drizzle-orm";
import { z } from "zod";
import type { Clock } from "../clock.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import { parsedMethod } from "./repositoryMethods.ts";
import { auditLog } from "./schema.ts";
import { templatedInsert } from "./statementTemplates.ts";
import { boundedLimit, jsonObjectSchema, labelSchema, parseInput } from "./values.ts";

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;
/** Most entries `appendMany` takes (5 parameters a row, far below PostgreSQL's 65,535 per statement). */
export const AUDIT_APPEND_MANY_MAX = 2000;

export interface AuditEntryInput {
  /** Who: an address, `keeper`, `relayer`, `system`, ... */
  actor: string;
  /** What, as a stable verb: `attestation.signed`, `milestone.slashed`, ... */
  action: string;
  /** Which resource, e.g. `commitment:31337:0x…:1`. */
  subject?: string | null;
  /** JSON only (no bigint: pass amounts as decimal strings). */
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  details: Record<string, unknown>;
}

export interface ListAuditParameters {
  /** Clamped to 1..500. Default 50. */
  limit?: number;
  /** Only entries with a smaller id (the last id of the previous page). */
  beforeId?: number;
  subject?: string;
}

export interface AuditLogRepository {
  append(entry: AuditEntryInput): Promise<AuditEntry>;
  /**
   * `append` for several entries in one statement (at most `AUDIT_APPEND_MANY_MAX`), all or none, their ids
   * increasing in the order given; answers how many were appended. The entries are not read back (no `RETURNING`:
   * a manual workout log's audit insert was ~25 % cheaper without it, and its caller never needed them).
   */
  appendMany(entries: readonly AuditEntryInput[]): Promise<number>;
  /** Newest first. */
  list(parameters?: ListAuditParameters): Promise<AuditEntry[]>;
}

const entrySchema = z.object({
  actor: labelSchema,
  action: labelSchema,
  subject: z.string().min(1).max(512).nullish(),
  details: jsonObjectSchema.optional(),
});

const entriesSchema = z.array(entrySchema).max(AUDIT_APPEND_MANY_MAX);

const listSchema = z.object({
  beforeId: z.number().int().min(1).optional(),
  subject: z.string().min(1).max(512).optional(),
});

type ParsedEntry = z.output<typeof entrySchema>;

/** The audit insert, composed once per number of entries. */
const insertEntries = templatedInsert(auditLog, (db, rows) => db.insert(auditLog).values(rows).returning());
/** The same insert without reading the rows back. */
const insertEntriesQuietly = templatedInsert(auditLog, (db, rows) => db.insert(auditLog).values(rows));

export function createAuditLogRepository(db: DatabaseExecutor, clock: Clock): AuditLogRepository {
  const rowOf = (input: ParsedEntry, at: Date) => ({
    at,
    actor: input.actor,
    action: input.action,
    subject: input.subject ?? null,
    details: input.details ?? {},
  });
  return {
    append: parsedMethod(entrySchema, "audit entry", "audit append", async (input) => {
      const rows = await insertEntries(db, [rowOf(input, new Date(clock.now()))]);
      if (rows[0] === undefined) throw new Error("unreachable: insert returned no row");
      return rows[0];
    }),

    appendMany: parsedMethod(entriesSchema, "audit entries", "audit append", async (input) => {
      if (input.length === 0) return 0;
      const at = new Date(clock.now());
      // One statement draws the ids from the sequence in the order of its rows.
      await insertEntriesQuietly(
        db,
        input.map((entry) => rowOf(entry, at)),
      );
      return input.length;
    }),

    list: async (parameters = {}) => {
      const { beforeId, subject } = parseInput(listSchema, parameters, "audit list query");
      const limit = boundedLimit(parameters.limit, { fallback: AUDIT_PAGE_DEFAULT, max: AUDIT_PAGE_MAX });
      return withDatabaseErrors("audit list", () =>
        db
          .select()
          .from(auditLog)
          .where(
            and(
              beforeId === undefined ? undefined : lt(auditLog.id, beforeId),
              subject === undefined ? undefined : eq(auditLog.subject, subject),
            ),
          )
          .orderBy(desc(auditLog.id))
          .limit(limit),
      );
    },
  };
}
