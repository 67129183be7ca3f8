/**
 * PGlite's WAL stays bounded: PGlite itself never checkpoints (so its WAL grows without end), and the store's
 * `checkpointIfDue` checkpoints once a segment's worth was written, after which the WAL directory stays under
 * ~48 MiB however much is written. On disk too, where the removed segments must leave the data directory.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { DEFAULT_WAL_CHECKPOINT_BYTES, type WalCheckpoint } from "../../src/store/pgliteWal.ts";

const MIB = 1024 * 1024;
/** The most WAL kept once checkpointed: the segment being written, plus two recycled ones (min_wal_size). */
const BOUNDED_WAL_BYTES = 48 * MIB;

async function firstRow(database: Database, query: string): Promise<Record<string, unknown>> {
  const result = (await database.db.execute(sql.raw(query))) as unknown as {
    rows: Record<string, unknown>[];
  };
  const row = result.rows[0];
  if (row === undefined) throw new Error(`no row from ${query}`);
  return row;
}

function checkpointOf(database: Database): () => Promise<WalCheckpoint> {
  const checkpoint = database.checkpointIfDue?.bind(database);
  if (checkpoint === undefined) expect.fail("a PGlite database checkpoints");
  return checkpoint;
}

/** What PGlite's pg_wal directory holds, in bytes. */
async function walDirectoryBytes(database: Database): Promise<number> {
  return Number(
    (await firstRow(database, "select coalesce(sum(size), 0)::text as bytes from pg_ls_waldir()")).bytes,
  );
}

/** About `mib` MiB of WAL: rows of incompressible text (random hex), in one statement per 8 MiB. */
async function writeWal(database: Database, mib: number): Promise<void> {
  await database.db.execute(
    sql.raw("create table if not exists wal_filler (id serial primary key, body text)"),
  );
  for (let written = 0; written < mib; written += 8) {
    await database.db.execute(
      sql.raw(
        "insert into wal_filler (body) select (select string_agg(md5(random()::text || g || s), '') " +
          "from generate_series(1, 64) s) from generate_series(1, 4096) g",
      ),
    );
  }
}

describe("PGlite's WAL (pgliteWal.ts)", function () {
  this.timeout(120_000);
  let database: Database | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await database?.close();
    database = undefined;
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it("grows without end when nothing checkpoints: PGlite's single-user backend never starts a checkpoint", async () => {
    database = await openDatabase({ dataDir: "memory://" });
    const before = await walDirectoryBytes(database);
    await writeWal(database, 72);
    expect(await walDirectoryBytes(database)).to.be.at.least(before + 64 * MIB);
  });

  it("checkpoints once a segment's worth was written, and not before; the WAL then stays under 48 MiB", async () => {
    database = await openDatabase({ dataDir: "memory://" });
    const checkpoint = checkpointOf(database);
    // At most two recycled segments are kept (PostgreSQL's default keeps five).
    expect((await firstRow(database, "show min_wal_size")).min_wal_size).to.equal("32MB");
    await checkpoint(); // whatever the migrations wrote
    await writeWal(database, 8);
    const early = await checkpoint();
    expect(early.checkpointed).to.equal(false);
    expect(early.walBytes).to.be.within(8 * MIB, DEFAULT_WAL_CHECKPOINT_BYTES - 1);
    let largest = 0;
    for (let round = 0; round < 4; round += 1) {
      await writeWal(database, 16);
      const result = await checkpoint();
      expect(result.checkpointed, `round ${round}`).to.equal(true);
      expect(result.walBytes).to.be.at.least(DEFAULT_WAL_CHECKPOINT_BYTES);
      largest = Math.max(largest, await walDirectoryBytes(database));
    }
    expect(largest).to.be.at.most(BOUNDED_WAL_BYTES);
    // Nothing written since: the next check finds (almost) nothing to do.
    const after = await checkpoint();
    expect(after.checkpointed).to.equal(false);
    expect(after.walBytes).to.be.below(MIB);
  });

  it("removes the segments before the checkpoint from a data directory on disk, and keeps the rows", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pglite-wal-"));
    database = await openDatabase({ dataDir });
    for (let round = 0; round < 4; round += 1) {
      await writeWal(database, 16);
      expect((await checkpointOf(database)()).checkpointed).to.equal(true);
    }
    const walDir = join(dataDir, "pg_wal");
    const segments = (await readdir(walDir)).filter((name) => /^[0-9A-F]{24}$/.test(name));
    const onDisk = (
      await Promise.all(segments.map(async (name) => (await stat(join(walDir, name))).size))
    ).reduce((sum, size) => sum + size, 0);
    expect(onDisk).to.be.at.most(BOUNDED_WAL_BYTES);
    await database.close();
    database = await openDatabase({ dataDir });
    expect(Number((await firstRow(database, "select count(*)::text as n from wal_filler")).n)).to.equal(
      8 * 4096,
    );
  });
});
