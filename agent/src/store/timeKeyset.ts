/**
 * Keyset pages ordered by (a timestamp, the row's uuid), as the workout list, the nudge feed and the review queue
 * page: the cursor is the last row's pair as base64url JSON (`{ [field]: ISO time, id }`), opaque to callers.
 */
import { and, asc, desc, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { isFromYearOne } from "../workouts/isoTime.ts";
import type { DatabaseExecutor } from "./database.ts";
import { withDatabaseErrors } from "./databaseErrors.ts";
import type { PageBounds } from "./repositoryMethods.ts";
import { boundedLimit } from "./values.ts";

export interface TimeCursor {
  at: string;
  id: string;
}

export interface TimeKeyset<T> {
  /**
   * One page of the rows `where` selects: clamps `parameters.limit` by `bounds`, decodes `parameters.cursor`
   * (`ValidationError` `invalid_cursor` when it is not one of ours), reads up to `limit + 1` rows past it in page
   * order (driver failures mapped by `withDatabaseErrors(operation)`) and returns at most `limit` items, with a
   * cursor when there were more.
   */
  read(
    db: DatabaseExecutor,
    where: SQL | undefined,
    parameters: { limit?: number; cursor?: string },
    bounds: PageBounds,
    operation: string,
  ): Promise<{ items: T[]; nextCursor: string | null }>;
}

/** The names of `Row`'s `Date` fields. */
type DateField<Row> = { [K in keyof Row]: Row[K] extends Date ? K : never }[keyof Row] & string;

export function timeKeyset<Table extends PgTable, T>({
  table,
  field,
  order,
  map,
  idSchema = z.uuid(),
}: {
  /** The table paged, with an `id` column. */
  table: Table;
  /** The row's time column, and the time's name in the cursor JSON. */
  field: DateField<Table["$inferSelect"]>;
  /** `desc`: newest first (the next page is before the cursor); `asc`: oldest first. */
  order: "asc" | "desc";
  /** A row → the item a page holds. */
  map: (row: Table["$inferSelect"]) => T;
  /** How the cursor's id must look (default: an RFC 9562 uuid). */
  idSchema?: z.ZodType<string>;
}): TimeKeyset<T> {
  const columns: Record<string, PgColumn | undefined> = getTableColumns(table);
  const at = columns[field];
  const id = columns.id;
  if (at === undefined || id === undefined) throw new Error(`timeKeyset: no ${field} or id column`);
  // Year 1 or later, as every stored time is: PostgreSQL refuses year 0 in the comparison (22008), a 503 otherwise.
  const schema = z.object({ [field]: z.iso.datetime().refine(isFromYearOne), id: idSchema });
  const past = sql.raw(order === "desc" ? "<" : ">");
  const direction = order === "desc" ? desc : asc;
  const decode = (cursor: string | undefined): TimeCursor | undefined => {
    if (cursor === undefined) return undefined;
    try {
      const parsed = schema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
      return { at: String(parsed[field]), id: String(parsed.id) };
    } catch (error) {
      throw new ValidationError({ code: "invalid_cursor", message: "Invalid page cursor.", cause: error });
    }
  };
  const after = (cursor: TimeCursor | undefined): SQL | undefined =>
    cursor === undefined
      ? undefined
      : sql`(${at}, ${id}) ${past} (${cursor.at}::timestamptz, ${cursor.id}::uuid)`;
  /** The cursor past `row`: its time and id, as base64url JSON. */
  const cursorOf = (row: Record<string, unknown>): string =>
    Buffer.from(JSON.stringify({ [field]: (row[field] as Date).toISOString(), id: row.id })).toString(
      "base64url",
    );
  return {
    async read(db, where, parameters, bounds, operation) {
      const limit = boundedLimit(parameters.limit, bounds);
      const cursor = decode(parameters.cursor);
      return withDatabaseErrors(operation, async () => {
        const rows = (await db
          .select()
          .from(table as PgTable)
          .where(and(where, after(cursor)))
          .orderBy(direction(at), direction(id))
          .limit(limit + 1)) as Table["$inferSelect"][];
        const items = rows.slice(0, limit);
        const last = items.at(-1);
        return {
          items: items.map(map),
          nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
        };
      });
    },
  };
}
