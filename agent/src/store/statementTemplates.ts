/**
 * Statements whose SQL is composed once per process and run on any executor (the database or any transaction).
 *
 * drizzle composes a statement's text and parameters on every call (`sqlToQuery`, an `is` check per chunk): for a
 * manual workout log the two inserts and the ingest lookup spent more CPU there than PGlite spent running them.
 * `builtOnce` (repositoryMethods.ts) keeps a prepared query, but a prepared query is bound to the executor it was
 * made on, and a transaction gets new repositories, so inside `store.transaction` it was built anew each time.
 * A template keeps what is the same for every execution, whatever the executor: the text (with `$n` parameters),
 * where each value goes and the column encoding it, and how each column of a row is decoded. Each execution
 * only encodes its values and hands the text to the executor's session (`session.prepareQuery`, what drizzle's own
 * `execute` calls; on PGlite straight to the session's client with the options drizzle's PGlite session passes), so
 * the driver runs the very statement drizzle would have built, with the same parameters, and its errors surface as
 * drizzle's do.
 *
 * Values are named with `columnPlaceholder(name, column)` (repositoryMethods.ts) where the builder takes a value
 * (`eq`, `inArray`, `lt`) and with `sql.placeholder(name)` in an insert's `values` (drizzle binds those to their
 * column itself; `insertedRows` names them). A value is
 * encoded as drizzle encodes a bound value: null stays null, anything else goes through its column's
 * `mapToDriverValue` (drizzle's own placeholders would encode null too: a jsonb null would be stored as JSON
 * `null`, not SQL NULL); a placeholder drizzle leaves bare (`inArray` does) passes its value as is, as drizzle's
 * own execution does.
 */
import { types as pgliteTypes } from "@electric-sql/pglite";
import {
  DrizzleQueryError,
  getTableColumns,
  is,
  NoopLogger,
  Param,
  Placeholder,
  type Query,
  sql,
} from "drizzle-orm";
import { NoopCache } from "drizzle-orm/cache/core";
import { PgliteSession } from "drizzle-orm/pglite";
import type { PgColumn, PgInsertValue, PgTable } from "drizzle-orm/pg-core";
import type { DatabaseExecutor } from "./database.ts";

/** A statement built once: runs on `db` with a value for each of its named values. */
export interface StatementTemplate<Row> {
  /** The statement's text, as drizzle builds it (for tests). */
  readonly text: string;
  run(db: DatabaseExecutor, values: Readonly<Record<string, unknown>>): Promise<Row[]>;
}

/**
 * Where one parameter of the text comes from: a named value (encoded by its column when it has one, as is when
 * drizzle left it bare, e.g. in `inArray`), or a value fixed at build.
 */
type ParameterSource = { name: string; column: PgColumn | undefined } | { fixed: unknown };

function sourceOf(parameter: unknown): ParameterSource {
  if (is(parameter, Param) && is(parameter.value, Placeholder)) {
    return { name: parameter.value.name, column: parameter.encoder as PgColumn };
  }
  if (is(parameter, Placeholder)) return { name: parameter.name, column: undefined };
  return { fixed: parameter };
}

/** The columns each row of an insert sets (those whose value is not undefined), in the row's key order. */
export type InsertShape = readonly (readonly string[])[];

/**
 * An insert's rows as a template takes them: its shape, the key of that shape, and the value of each placeholder
 * `placeholderRows(shape)` names (`column:row`). A column whose value is undefined is left out of its row, as
 * drizzle leaves it out (its default).
 */
export function insertedRows(rows: readonly Readonly<Record<string, unknown>>[]): {
  shape: InsertShape;
  key: string;
  values: Record<string, unknown>;
} {
  const values: Record<string, unknown> = {};
  const shape = rows.map((row, index) => {
    const keys: string[] = [];
    for (const key of Object.keys(row)) {
      const value = row[key];
      if (value === undefined) continue;
      keys.push(key);
      values[`${key}:${index}`] = value;
    }
    return keys;
  });
  return { shape, key: shape.map((keys) => keys.join(",")).join(";"), values };
}

/**
 * The rows of an insert into `table` of `shape` (see `insertedRows`): a placeholder for each column a row sets. The
 * shape comes from rows of `table`'s own type, so the placeholders stand for columns the table has.
 */
export function placeholderRows<T extends PgTable>(_table: T, shape: InsertShape): PgInsertValue<T>[] {
  return shape.map(
    (keys, index) =>
      Object.fromEntries(keys.map((key) => [key, sql.placeholder(`${key}:${index}`)])) as PgInsertValue<T>,
  );
}

function parameterValue(source: ParameterSource, values: Readonly<Record<string, unknown>>): unknown {
  if ("fixed" in source) return source.fixed;
  if (!(source.name in values)) throw new Error(`No value for template value "${source.name}" was provided`);
  const value = values[source.name];
  return value === null || source.column === undefined ? value : source.column.mapToDriverValue(value);
}

/**
 * The template of `query` (a select of every column of `table`, or an insert returning them or the columns
 * `returned` names, in its RETURNING order), whose rows are decoded column by column as drizzle decodes them (null
 * stays null, anything else through `mapFromDriverValue`).
 */
export function statementTemplate<T extends PgTable, Row = T["$inferSelect"]>(
  table: T,
  query: { toSQL(): Query },
  returned: Readonly<Record<string, PgColumn>> = getTableColumns(table),
): StatementTemplate<Row> {
  const { sql: text, params } = query.toSQL();
  const sources = params.map(sourceOf);
  const columns = Object.entries(returned);
  const rowsOf = (rows: unknown[][]): Row[] =>
    rows.map((row) => {
      // `returned` must name the statement's RETURNING columns: decoding a row by the wrong ones is a bug, loudly.
      if (row.length !== columns.length) {
        throw new Error(`a template's row has ${row.length} columns, ${columns.length} expected: ${text}`);
      }
      const record: Record<string, unknown> = {};
      for (const [index, [key, column]] of columns.entries()) {
        const raw = row[index];
        record[key] = raw === null ? null : column.mapFromDriverValue(raw);
      }
      return record as Row;
    });
  return {
    text,
    run: async (db, values) => {
      const params = sources.map((source) => parameterValue(source, values));
      const session = db._.session;
      if (is(session, PgliteSession) && runsPlain(session)) {
        // What drizzle's PGlite prepared query does (the same client, rows as arrays, timestamps left as text, a
        // failure wrapped as drizzle wraps it), without a new prepared-query object and parsers per run: on a
        // manual workout log those were ~60 µs of the database thread's work (profiled).
        const client = (session as unknown as { client: PgliteQueryClient }).client;
        try {
          return rowsOf((await client.query(text, params, PGLITE_ARRAY_ROWS)).rows);
        } catch (error) {
          throw new DrizzleQueryError(text, params, error as Error);
        }
      }
      return session
        .prepareQuery<{ execute: Row[]; all: unknown; values: unknown }>(
          { sql: text, params },
          undefined,
          undefined,
          true,
          rowsOf,
        )
        .execute();
    },
  };
}

/** The session logs no query and caches no result (the store configures neither): nothing to skip. */
function runsPlain(session: object): boolean {
  const { logger, cache } = session as unknown as { logger: unknown; cache: unknown };
  return is(logger, NoopLogger) && is(cache, NoopCache);
}

/** The part of a PGlite client (PGlite, a transaction of it, the database thread's client) a template runs on. */
interface PgliteQueryClient {
  query(text: string, params: unknown[], options: typeof PGLITE_ARRAY_ROWS): Promise<{ rows: unknown[][] }>;
}

/** The text of every type drizzle's PGlite session leaves unparsed (it decodes them itself, by column). */
const unparsed = (value: string) => value;

/**
 * drizzle's PGlite query options for rows as arrays (drizzle-orm/pglite/session.js, `queryConfig`), one object for
 * every run: the prepared-statement layer keeps the parser table it layers per object (pgliteStatements.ts).
 */
const PGLITE_ARRAY_ROWS = Object.freeze({
  rowMode: "array" as const,
  parsers: Object.freeze({
    [pgliteTypes.TIMESTAMP]: unparsed,
    [pgliteTypes.TIMESTAMPTZ]: unparsed,
    [pgliteTypes.INTERVAL]: unparsed,
    [pgliteTypes.DATE]: unparsed,
    1231: unparsed, // numeric[]
    1115: unparsed, // timestamp[]
    1185: unparsed, // timestamptz[]
    1187: unparsed, // interval[]
    1182: unparsed, // date[]
  }),
});

/** Most rows (or values of one kind) a shape whose template is kept has: one file's activities, a manual log. */
export const KEPT_SHAPE_MAX = 8;

/**
 * Templates by shape (how many rows an insert has, how many values a lookup has), made with the first executor
 * that needs a shape (the text does not depend on it); shapes `keep` accepts are kept for the process, any other
 * is made for the one call (a rare, large batch).
 */
export function templatesByShape<Shape, Row>({
  make,
  keyOf,
  keep,
}: {
  make: (db: DatabaseExecutor, shape: Shape) => StatementTemplate<Row>;
  keyOf: (shape: Shape) => string;
  keep: (shape: Shape) => boolean;
}): (db: DatabaseExecutor, shape: Shape) => StatementTemplate<Row> {
  const kept = new Map<string, StatementTemplate<Row>>();
  return (db, shape) => {
    if (!keep(shape)) return make(db, shape);
    const key = keyOf(shape);
    let template = kept.get(key);
    if (template === undefined) {
      template = make(db, shape);
      kept.set(key, template);
    }
    return template;
  };
}

/**
 * An insert of rows into `table` (`build` makes it from placeholder rows, with whatever conflict clause it needs),
 * one template per shape of rows; returns the rows as stored. The insert returns every column, or the columns
 * `returned` names, in its order (drizzle's `.returning(returned)`): returning only a key is cheaper when the caller
 * already holds the rest (on PGlite a workout returned whole cost ~140 µs more than its id, measured).
 */
export function templatedInsert<T extends PgTable, Row = T["$inferSelect"]>(
  table: T,
  build: (db: DatabaseExecutor, rows: PgInsertValue<T>[]) => { toSQL(): Query },
  returned?: Readonly<Record<string, PgColumn>>,
): (db: DatabaseExecutor, rows: readonly T["$inferInsert"][]) => Promise<Row[]> {
  const templates = templatesByShape({
    make: (db, rows: ReturnType<typeof insertedRows>) =>
      statementTemplate<T, Row>(table, build(db, placeholderRows(table, rows.shape)), returned),
    keyOf: (rows) => rows.key,
    keep: (rows) => rows.shape.length <= KEPT_SHAPE_MAX,
  });
  return (db, rows) => {
    const inserted = insertedRows(rows);
    return templates(db, inserted).run(db, inserted.values);
  };
}
