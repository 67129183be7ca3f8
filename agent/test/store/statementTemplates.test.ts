/**
 * Statements composed once (statementTemplates.ts), on every driver: a workout insert, an audit insert and the
 * ingest lookup compose no SQL after their first use, also in a new transaction; they run drizzle's own text and
 * store and return exactly what drizzle's own statements store and return (SQL NULL for a null, a jsonb object as
 * given). And the owner lock (`advisoryTransactionLock`): a statement on PostgreSQL, none on PGlite, whose
 * transactions already exclude each other.
 */
import { strict as assert } from "node:assert";
import { asc, eq, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { PgliteSession } from "drizzle-orm/pglite";
import { ManualClock } from "../../src/clock.ts";
import { ValidationError } from "../../src/errors.ts";
import { workouts } from "../../src/store/schema.ts";
import {
  insertedRows,
  KEPT_SHAPE_MAX,
  placeholderRows,
  statementTemplate,
} from "../../src/store/statementTemplates.ts";
import type { NewWorkout } from "../../src/store/workoutsRepository.ts";
import { type OpenedTestStore, openOrSkip, queryRows, storeDrivers } from "./storeDrivers.ts";

const NOW = Date.UTC(2026, 10, 26, 12);
const HOUR = 3_600_000;

let ownerCounter = 0;
function newOwner(): string {
  ownerCounter += 1;
  return `0x${(0x7e3a1a7e000 + ownerCounter).toString(16).padStart(40, "0")}`;
}

function workoutOf(
  owner: string,
  hash: string,
  startMs: number,
  extra: Partial<NewWorkout> = {},
): NewWorkout {
  return {
    owner,
    source: "manual",
    contentHash: `0x${hash.repeat(64)}`,
    sport: "run",
    startTime: new Date(startMs),
    endTime: new Date(startMs + HOUR / 2),
    durationSec: 1800,
    elapsedSec: 1800,
    distanceM: null,
    avgHeartRate: null,
    verdict: { status: "accepted", reasons: [] },
    ...extra,
  };
}

/** The texts drizzle composes (`sqlToQuery`) while `run` runs. */
async function composedDuring(run: () => Promise<unknown>): Promise<string[]> {
  const original = PgDialect.prototype.sqlToQuery;
  const texts: string[] = [];
  PgDialect.prototype.sqlToQuery = function (this: PgDialect, ...args: Parameters<PgDialect["sqlToQuery"]>) {
    const query = original.apply(this, args);
    texts.push(query.sql);
    return query;
  };
  try {
    await run();
  } finally {
    PgDialect.prototype.sqlToQuery = original;
  }
  return texts;
}

for (const driver of storeDrivers) {
  describe(`statement templates on ${driver.name}`, function () {
    this.timeout(60_000);
    let opened: OpenedTestStore;
    const clock = new ManualClock(NOW);

    before(async function () {
      opened = await openOrSkip(this, driver, clock, this.test?.parent?.title ?? driver.name);
    });
    after(async () => {
      await opened?.cleanup();
    });

    it("a workout insert, an audit insert and the ingest lookup compose no SQL after their first use, in a new transaction too", async () => {
      const { store } = opened;
      const owner = newOwner();
      const oneIngestion = (hash: string, startMs: number) =>
        store.transaction(async (tx) => {
          await tx.workouts.findByContentHashesOrOverlapping(
            owner,
            [`0x${hash.repeat(64)}`],
            [{ start: new Date(startMs), end: new Date(startMs + HOUR / 2) }],
          );
          const [record] = await tx.workouts.insertMany([workoutOf(owner, hash, startMs)]);
          await tx.auditLog.appendMany([
            { actor: owner, action: "workout.upload", subject: `owner:${owner}`, details: { stored: 1 } },
            { actor: owner, action: "workout.verdict", subject: `workout:${record?.id}`, details: {} },
          ]);
        });
      await oneIngestion("a", NOW - 10 * HOUR);
      // Only the transaction's own statements (BEGIN, COMMIT) are left to compose, on drivers that build them.
      const texts = await composedDuring(() => oneIngestion("b", NOW - 8 * HOUR));
      assert.deepEqual(
        texts.filter((text) => /workouts|audit_log/.test(text)),
        [],
      );
    });

    it(
      driver.name.startsWith("PGlite")
        ? "on PGlite a template runs on the session's client: no prepared-query object per run"
        : "on PostgreSQL a template runs through the session's prepared query",
      async () => {
        const { store } = opened;
        const owner = newOwner();
        const original = PgliteSession.prototype.prepareQuery;
        let prepared = 0;
        PgliteSession.prototype.prepareQuery = function (
          this: PgliteSession<Record<string, unknown>, never>,
          ...args: Parameters<PgliteSession<Record<string, unknown>, never>["prepareQuery"]>
        ) {
          prepared += 1;
          return original.apply(this, args);
        } as typeof original;
        try {
          await store.transaction(async (tx) => {
            await tx.workouts.insertMany([workoutOf(owner, "e", NOW - 6 * HOUR)]);
            const found = await tx.workouts.findByContentHashesOrOverlapping(
              owner,
              [`0x${"e".repeat(64)}`],
              [],
            );
            assert.equal(found.length, 1);
          });
        } finally {
          PgliteSession.prototype.prepareQuery = original;
        }
        // BEGIN and COMMIT are PGlite's own; on PostgreSQL the session is node-postgres', never PGlite's.
        assert.equal(prepared, 0);
      },
    );

    it(`a batch beyond ${KEPT_SHAPE_MAX} rows or values is composed for its call, and stored and found all the same`, async () => {
      const { store } = opened;
      const owner = newOwner();
      const count = KEPT_SHAPE_MAX + 2;
      const batch = Array.from({ length: count }, (_, index) =>
        workoutOf(owner, "0", NOW - (index + 20) * HOUR, {
          contentHash: `0x${(index + 1).toString(16).padStart(64, "e")}`,
        }),
      );
      const lookup = () =>
        store.workouts.findByContentHashesOrOverlapping(
          owner,
          batch.map((workout) => workout.contentHash),
          batch.map((workout) => ({ start: workout.startTime, end: workout.endTime })),
        );
      // The insert, then the same lookup twice: each composes its text again (a kept one would not the second time).
      for (let round = 0; round < 3; round += 1) {
        const texts = await composedDuring(async () => {
          if (round === 0) await store.workouts.insertMany(batch);
          else assert.equal((await lookup()).length, count);
        });
        assert.equal(texts.filter((text) => /"workouts"/.test(text)).length, 1);
      }
      const found = await lookup();
      assert.deepEqual(
        found.map((record) => record.contentHash),
        [...batch].reverse().map((workout) => workout.contentHash),
      );
    });

    it("runs drizzle's own text and returns what drizzle's own insert and select return", async () => {
      const { database } = opened;
      const db = database.db;
      const owner = newOwner();
      const createdAt = new Date(NOW);
      const rowOf = (hash: string, extra: Partial<typeof workouts.$inferInsert>) => ({
        owner,
        source: "manual" as const,
        contentHash: `0x${hash.repeat(64)}`,
        sport: "run",
        startTime: new Date(NOW - 5 * HOUR),
        endTime: new Date(NOW - 4 * HOUR),
        durationSec: 3600,
        elapsedSec: 3600,
        distanceM: null,
        avgHeartRate: null,
        verdictStatus: "rejected" as const,
        verdictReasons: [{ code: "overlaps_existing", message: "It overlaps." }],
        provider: null,
        providerActivityId: null,
        notes: null,
        createdAt,
        sportOrigin: "named" as const,
        sportDetail: null,
        ...extra,
      });
      const detail = { inferred: "run", declared: null, plausible: { run: true } } as never;
      const rows = [
        rowOf("c", { notes: "by drizzle", sportDetail: detail }),
        rowOf("d", { distanceM: 1234.5 }),
      ];
      const byDrizzle = db.insert(workouts).values(rows).returning();
      const viaTemplate = statementTemplate(
        workouts,
        db
          .insert(workouts)
          .values(placeholderRows(workouts, insertedRows(rows).shape))
          .returning(),
      );
      assert.equal(viaTemplate.text, byDrizzle.toSQL().sql);

      const expected = await byDrizzle;
      await db.delete(workouts).where(eq(workouts.owner, owner));
      const actual = await viaTemplate.run(db, insertedRows(rows).values);
      assert.deepEqual(
        actual.map(({ id: _id, ...row }) => row),
        expected.map(({ id: _id, ...row }) => row),
      );
      // A null is SQL NULL (not a JSON null), an object is stored as given.
      const stored = await queryRows<{ detail_null: boolean; notes: string | null }>(
        database,
        sql`select sport_detail is null as detail_null, notes from ${workouts} where owner = ${owner} order by content_hash`,
      );
      assert.deepEqual(
        stored.map((row) => [row.detail_null, row.notes]),
        [
          [false, "by drizzle"],
          [true, null],
        ],
      );

      const select = db
        .select()
        .from(workouts)
        .where(eq(workouts.owner, owner))
        .orderBy(asc(workouts.contentHash));
      const selected = await statementTemplate(workouts, select).run(db, {});
      assert.deepEqual(selected, await select);
    });

    it("an audit entry without a subject is stored with a NULL subject and empty details", async () => {
      const { store } = opened;
      const actor = newOwner();
      assert.equal(await store.auditLog.appendMany([{ actor, action: "test.null_subject" }]), 1);
      const listed = (await store.auditLog.list({ limit: 50 })).filter((e) => e.actor === actor);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.subject, null);
      assert.deepEqual(listed[0]?.details, {});
      assert.equal(listed[0]?.action, "test.null_subject");
    });

    it(`lockOwner ${driver.name.startsWith("PGlite") ? "runs no statement (a PGlite transaction already excludes every other)" : "takes the advisory lock"}, and refuses an invalid owner`, async () => {
      const { store } = opened;
      const owner = newOwner();
      const texts = await composedDuring(() => store.transaction((tx) => tx.workouts.lockOwner(owner)));
      const locks = texts.filter((text) => text.includes("pg_advisory_xact_lock"));
      assert.equal(locks.length, driver.name.startsWith("PGlite") ? 0 : 1);
      await assert.rejects(
        store.transaction((tx) => tx.workouts.lockOwner("0xnot-an-address")),
        ValidationError,
      );
    });
  });
}
