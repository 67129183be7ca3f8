import { strict as assert } from "node:assert";
import { PGlite, types } from "@electric-sql/pglite";
import { withPreparedStatements } from "../../src/store/pgliteStatements.ts";

/** drizzle's parsers for PGlite: timestamps, dates and intervals kept as text. */
const DRIZZLE_PARSERS = {
  [types.TIMESTAMP]: (value: string) => value,
  [types.TIMESTAMPTZ]: (value: string) => value,
  [types.INTERVAL]: (value: string) => value,
  [types.DATE]: (value: string) => value,
};

describe("PGlite with prepared statements (pgliteStatements.ts)", () => {
  let client: PGlite;

  beforeEach(async () => {
    client = await PGlite.create("memory://");
    await client.exec(`
      create table t (
        id bigserial primary key,
        name text not null unique,
        at timestamptz not null,
        n numeric,
        doc jsonb,
        raw bytea,
        tags text[]
      )`);
  });

  afterEach(async () => {
    await client.close();
  });

  const row = [
    "insert into t (name, at, n, doc, raw, tags) values ($1, $2, $3, $4, $5, $6) returning *",
    [
      "a",
      new Date("2026-12-05T10:00:00.123Z"),
      "12.50",
      { k: [1, "x"] },
      new Uint8Array([0, 255]),
      ["p", "q"],
    ],
  ] as const;

  it("answers every statement exactly as PGlite.query does (rows, fields, counts; object and array rows)", async () => {
    const prepared = withPreparedStatements({ client });
    const viaPrepared = await prepared.query(row[0], [...row[1]]);
    const viaPlain = await client.query(row[0], ["b", ...row[1].slice(1)]);
    assert.deepEqual(
      { ...viaPrepared, rows: viaPrepared.rows.map((r) => ({ ...(r as object), id: 0, name: "" })) },
      { ...viaPlain, rows: viaPlain.rows.map((r) => ({ ...(r as object), id: 0, name: "" })) },
    );
    const select = "select id, name, at, n, doc, raw, tags from t where name = any($1) order by id";
    for (const options of [undefined, { rowMode: "array" as const, parsers: DRIZZLE_PARSERS }]) {
      for (let i = 0; i < 3; i += 1) {
        assert.deepEqual(
          await prepared.query(select, [["a", "b"]], options),
          await client.query(select, [["a", "b"]], options),
        );
      }
    }
    const update = await prepared.query("update t set n = $1 where name <> $2", [null, "zz"]);
    assert.equal(update.affectedRows, 2);
    assert.deepEqual((await client.query("select count(*)::int as c from t where n is null")).rows, [
      { c: 2 },
    ]);
    assert.equal(prepared.preparedStatements, 3);
  });

  it("layers a caller's parsers over PGlite's once per parsers object, not once per statement", async () => {
    const prepared = withPreparedStatements({ client });
    await prepared.query(row[0], [...row[1]]);
    let reads = 0;
    // Not all identity parsers (those are layered once per set of types: the next test).
    const parsers = new Proxy(
      { ...DRIZZLE_PARSERS, [types.TIMESTAMPTZ]: (value: string) => `${value}` },
      {
        ownKeys(target) {
          reads += 1;
          return Reflect.ownKeys(target);
        },
      },
    );
    const select = "select name, at from t where name = $1";
    let readsOnFirstUse = 0;
    for (let i = 0; i < 3; i += 1) {
      const result = await prepared.query<[string, string]>(select, ["a"], { rowMode: "array", parsers });
      assert.deepEqual(result.rows, [["a", "2026-12-05 10:00:00.123+00"]]);
      if (i === 0) readsOnFirstUse = reads;
    }
    assert.ok(readsOnFirstUse >= 1);
    assert.equal(reads, readsOnFirstUse);
  });

  it("shares one layered table between parsers objects that are all identity over the same types, and never another's", async () => {
    const prepared = withPreparedStatements({ client });
    await prepared.query(row[0], [...row[1]]);
    const select = "select name, at from t where name = $1";
    const at = async (parsers: Record<number, (value: string) => unknown>) =>
      (await prepared.query<[string, unknown]>(select, ["a"], { rowMode: "array", parsers })).rows[0]?.[1];
    const asText = "2026-12-05 10:00:00.123+00";
    // drizzle makes a new object of identity parsers for every unprepared query.
    for (let i = 0; i < 3; i += 1) assert.equal(await at({ ...DRIZZLE_PARSERS }), asText);
    assert.equal(await at({ [types.TIMESTAMPTZ]: (v: string) => v }), asText);
    // Same types, not identity: applied, not taken for the shared table.
    assert.equal(await at({ [types.TIMESTAMPTZ]: (value: string) => `at ${value}` }), `at ${asText}`);
    const other = "another value";
    assert.equal(await at({ [types.TIMESTAMPTZ]: (_value: string) => other }), other);
    assert.equal(await at({ [types.TIMESTAMPTZ]: (value: string) => value.slice(0, 4) }), "2026");
    // Identity over other types: PGlite's own parser for the timestamp.
    assert.deepEqual(
      await at({ [types.INT8]: (value: string) => value }),
      new Date("2026-12-05T10:00:00.123Z"),
    );
    assert.equal(await at({ ...DRIZZLE_PARSERS }), asText);
  });

  it("syncs the file system after a statement outside a transaction where it syncs, and skips it in memory", async () => {
    let calls = 0;
    const original = client.syncToFs.bind(client);
    client.syncToFs = async () => {
      calls += 1;
      await original();
    };
    const inMemory = withPreparedStatements({ client });
    await inMemory.query("select 1 as x where $1::int > 0", [1]);
    assert.equal(calls, 0);
    // A file system with a sync of its own (IndexedDB, OPFS): every statement outside a transaction syncs.
    let synced = 0;
    const fs = (client as unknown as { fs: { syncToFs: () => Promise<void> } }).fs;
    fs.syncToFs = async () => {
      synced += 1;
    };
    const syncing = withPreparedStatements({ client });
    await syncing.query("select 1 as x where $1::int > 0", [1]);
    await syncing.query("select 2 as x where $1::int > 0", [1]);
    assert.equal(calls, 2);
    assert.equal(synced, 2);
  });

  it("raises PGlite's DatabaseError with the query attached, and keeps no statement that does not parse", async () => {
    const prepared = withPreparedStatements({ client });
    await prepared.query(row[0], [...row[1]]);
    await assert.rejects(prepared.query(row[0], [...row[1]]), (error: Error & Record<string, unknown>) => {
      assert.equal(error.code, "23505");
      assert.equal(error.constraint, "t_name_key");
      assert.equal(error.query, row[0]);
      return true;
    });
    const before = prepared.preparedStatements;
    await assert.rejects(prepared.query("select nope from t where id = $1", [1]), { code: "42703" });
    assert.equal(prepared.preparedStatements, before);
    // The session is usable after both failures.
    assert.deepEqual((await prepared.query("select count(*)::int as c from t")).rows, [{ c: 1 }]);
  });

  it("never runs a statement inside another caller's open transaction: it waits for the transaction's end", async () => {
    const prepared = withPreparedStatements({ client });
    const count = "select count(*)::int as c from t";
    await prepared.query(count); // prepared before the transaction
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const tx = prepared
      .transaction(async (t) => {
        await t.query(row[0], [...row[1]]);
        await gate;
        order.push("rollback");
        await t.rollback();
      })
      .catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    const outside = prepared.query<{ c: number }>(count).then((result) => {
      order.push("outside");
      return result;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(order, []);
    release();
    const result = await outside;
    await tx;
    assert.deepEqual(order, ["rollback", "outside"]);
    assert.deepEqual(result.rows, [{ c: 0 }]);
  });

  it("runs prepared statements inside a transaction, rolled back with it, and refuses a closed transaction", async () => {
    const prepared = withPreparedStatements({ client });
    let kept: Parameters<Parameters<typeof prepared.transaction>[0]>[0] | undefined;
    await assert.rejects(
      prepared.transaction(async (tx) => {
        kept = tx;
        await tx.query(row[0], [...row[1]]);
        assert.deepEqual((await tx.query("select name from t")).rows, [{ name: "a" }]);
        throw new Error("abort");
      }),
      /abort/,
    );
    assert.deepEqual((await prepared.query("select name from t")).rows, []);
    await assert.rejects(kept?.query("select name from t") ?? Promise.resolve(), /Transaction is closed/);
    // The statement prepared in the rolled-back transaction still runs.
    assert.equal((await prepared.query(row[0], [...row[1]])).rows.length, 1);
  });

  it("gives the event loop a turn between statements once they kept it busy, in a transaction too", async () => {
    const db = withPreparedStatements({ client });
    // Each statement takes a few milliseconds of PostgreSQL's time on this thread.
    const slow = "select count(*)::int as n from generate_series(1, $1::int)";
    await db.query(slow, [1]);
    const turns = async (run: (step: () => Promise<void>) => Promise<void>) => {
      const seen: string[] = [];
      let ticks = 0;
      const tick = () => {
        ticks += 1;
        if (ticks < 1_000) setImmediate(tick);
      };
      setImmediate(tick);
      let step = 0;
      await run(async () => {
        seen.push(`${step++}:${ticks}`);
      });
      ticks = 1_000;
      return seen;
    };
    const outside = await turns(async (record) => {
      for (let i = 0; i < 8; i += 1) {
        await db.query(slow, [100_000]);
        await record();
      }
    });
    const inside = await turns((record) =>
      db.transaction(async (tx) => {
        for (let i = 0; i < 8; i += 1) {
          await tx.query(slow, [100_000]);
          await record();
        }
      }),
    );
    for (const seen of [outside, inside]) {
      const ticksSeen = seen.map((entry) => Number(entry.split(":")[1]));
      // The loop ran while the statements did (not only after the last one): the count rose along the way.
      assert.ok(new Set(ticksSeen).size > 3, `the loop ran between statements: ${seen.join(" ")}`);
    }
  });

  it("keeps at most maxStatements, closing the least recently used in Postgres too", async () => {
    const prepared = withPreparedStatements({ client, maxStatements: 2 });
    const texts = [
      "select 1 as x where $1::int > 0",
      "select 2 as x where $1::int > 0",
      "select 3 as x where $1::int > 0",
    ];
    for (const text of texts) await prepared.query(text, [1]);
    await prepared.query(texts[2] ?? "", [1]); // closes the evicted one in the same call
    assert.equal(prepared.preparedStatements, 2);
    const open = await client.query<{ c: number }>(
      "select count(*)::int as c from pg_prepared_statements where name like 'pglite\\_%'",
    );
    assert.equal(open.rows[0]?.c, 2);
    assert.deepEqual((await prepared.query(texts[0] ?? "", [1])).rows, [{ x: 1 }]);
  });

  it("forgets every statement on a schema change (not on a savepoint), so no plan made before it is reused", async () => {
    const prepared = withPreparedStatements({ client });
    const select = "select * from t where id > $1";
    await prepared.query(select, [0]);
    assert.equal(prepared.preparedStatements, 1);
    await prepared.transaction(async (tx) => {
      await tx.query("savepoint sp1");
      await tx.query("release savepoint sp1");
    });
    assert.equal(prepared.preparedStatements, 1, "transaction control keeps the statements");
    await prepared.query("alter table t add column extra int default 7");
    assert.equal(prepared.preparedStatements, 0);
    await prepared.query(row[0], [...row[1]]);
    const [first] = (await prepared.query<Record<string, unknown>>(select, [0])).rows;
    assert.equal(first?.extra, 7);
  });

  it("prepares a kept statement again after replanFirstRuns runs, then twice as many, closing the old one", async () => {
    const prepared = withPreparedStatements({ client, replanFirstRuns: 2 });
    const select = "select count(*)::int as c from t where id > $1";
    const names = async () =>
      (
        await client.query<{ name: string }>(
          "select name from pg_prepared_statements where statement = $1 order by name",
          [select],
        )
      ).rows.map((r) => r.name);
    const seen: string[] = [];
    for (let run = 1; run <= 9; run += 1) {
      assert.deepEqual((await prepared.query(select, [0])).rows, [{ c: 0 }]);
      const open = await names();
      assert.equal(open.length, 1, `one statement open after run ${run}`);
      if (seen.at(-1) !== open[0]) seen.push(open[0] ?? "");
      if (run === 2) assert.equal(seen.length, 1, "runs 1-2 on the first preparation");
      if (run === 3) assert.equal(seen.length, 2, "prepared again for run 3");
      if (run === 6) assert.equal(seen.length, 2, "runs 3-6 on the second (4 runs)");
      if (run === 7) assert.equal(seen.length, 3, "prepared again for run 7");
    }
    assert.equal(prepared.preparedStatements, 1);
  });
});
