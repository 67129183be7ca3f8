/**
 * Keyset pages ordered by (a timestamp, the row's uuid), as the workout list, the nudge feed and the review queue
 * page: the cursor is the last row's pair as base64url JSON (`{ [field]: ISO time, id }`), opaque to callers.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { ValidationError } from "../errors.ts";

export interface TimeCursor {
  at: string;
  id: string;
}

export interface TimeKeyset<Row> {
  /** The parsed cursor (undefined for the first page); `ValidationError` `invalid_cursor` when it is not one of ours. */
  decode(cursor: string | undefined): TimeCursor | undefined;
  /** Rows strictly past `cursor` in the page order (none: no condition). */
  after(cursor: TimeCursor | undefined): SQL | undefined;
  /** The page out of `limit + 1` rows read: at most `limit` items, and a cursor when there were more. */
  page<T>(
    rows: readonly Row[],
    limit: number,
    map: (row: Row) => T,
  ): { items: T[]; nextCursor: string | null };
}

export function timeKeyset<Row extends { id: string }>({
  field,
  at,
  id,
  order,
  timeOf,
  idSchema = z.uuid(),
}: {
  /** The time's name in the cursor JSON. */
  field: string;
  at: PgColumn;
  id: PgColumn;
  /** `desc`: newest first (the next page is before the cursor); `asc`: oldest first. */
  order: "asc" | "desc";
  timeOf: (row: Row) => Date;
  /** How the cursor's id must look (default: an RFC 9562 uuid). */
  idSchema?: z.ZodType<string>;
}): TimeKeyset<Row> {
  const schema = z.object({ [field]: z.iso.datetime(), id: idSchema });
  const past = sql.raw(order === "desc" ? "<" : ">");
  return {
    decode(cursor) {
      if (cursor === undefined) return undefined;
      try {
        const parsed = schema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
        return { at: String(parsed[field]), id: String(parsed.id) };
      } catch (error) {
        throw new ValidationError({ code: "invalid_cursor", message: "Invalid page cursor.", cause: error });
      }
    },
    after(cursor) {
      return cursor === undefined
        ? undefined
        : sql`(${at}, ${id}) ${past} (${cursor.at}::timestamptz, ${cursor.id}::uuid)`;
    },
    page(rows, limit, map) {
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(map),
        nextCursor:
          rows.length > limit && last !== undefined
            ? Buffer.from(JSON.stringify({ [field]: timeOf(last).toISOString(), id: last.id })).toString(
                "base64url",
              )
            : null,
      };
    },
  };
}
