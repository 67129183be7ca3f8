/**
 * PGlite has no autovacuum (pgliteVacuum.ts): a table whose rows are purged grows with every row it ever held,
 * unless `vacuumChurnTables` records the space of the deleted rows for reuse.
 */
import { expect } from "chai";
import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { PGLITE_CHURN_TABLES } from "../../src/store/pgliteVacuum.ts";

/** The bytes `siwe_nonces` takes with its indexes. */
async function nonceTableBytes(database: Database): Promise<number> {
  const result = (await database.db.execute(
    sql.raw("select pg_total_relation_size('siwe_nonces')::text as bytes"),
  )) as unknown as { rows: { bytes: string }[] };
  return Number(result.rows[0]?.bytes);
}

/** 5,000 expired nonces stored, then all purged (what housekeeping does to them). */
async function churn(database: Database, round: number): Promise<void> {
  await database.db.execute(
    sql.raw(
      "insert into siwe_nonces (nonce, created_at, expires_at) " +
        `select 'round${round}nonce' || g, now() - interval '1 hour', now() - interval '1 minute' ` +
        "from generate_series(1, 5000) g",
    ),
  );
  await database.db.execute(sql.raw("delete from siwe_nonces where expires_at < now()"));
}

function vacuumOf(database: Database): () => Promise<number> {
  const vacuum = database.vacuumChurnTables;
  if (vacuum === undefined) expect.fail("a PGlite database vacuums");
  return vacuum;
}

describe("PGlite's churn tables (pgliteVacuum.ts)", function () {
  this.timeout(60_000);
  let database: Database | undefined;

  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("grow with every purged row without a vacuum, and stop growing with one after each purge", async () => {
    database = await openDatabase({ dataDir: "memory://" });
    await churn(database, 0);
    const afterOne = await nonceTableBytes(database);
    // A canary as much as a reason: PGlite does not reuse the space on its own.
    for (let round = 1; round < 4; round += 1) await churn(database, round);

    const grown = await nonceTableBytes(database);
    expect(grown).to.be.at.least(afterOne * 3);

    const vacuum = vacuumOf(database);
    expect(await vacuum())
      .to.be.a("number")
      .and.to.be.at.least(0);
    await churn(database, 4);
    await vacuum();
    const settled = await nonceTableBytes(database);
    for (let round = 5; round < 12; round += 1) {
      await churn(database, round);
      await vacuum();
    }
    expect(await nonceTableBytes(database)).to.be.at.most(settled);
    expect(settled).to.be.below(grown);
  });

  it("names only tables the schema has, and answers with DependencyError once PGlite is closed", async () => {
    database = await openDatabase({ dataDir: "memory://" });
    const names = PGLITE_CHURN_TABLES.map((table) => `'${table}'`).join(", ");
    const result = (await database.db.execute(
      sql.raw(`select count(*)::int as n from pg_tables where tablename in (${names})`),
    )) as unknown as { rows: { n: number }[] };
    expect(result.rows[0]?.n).to.equal(PGLITE_CHURN_TABLES.length);
    const vacuum = vacuumOf(database);
    await database.close();
    const error = await vacuum().catch((caught: unknown) => caught);
    expect(error).to.have.property("code", "database_unavailable");
    database = undefined;
  });
});
