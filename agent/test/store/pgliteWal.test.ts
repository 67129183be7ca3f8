/**
 * PGlite's WAL stays bounded (pgliteWal.ts): PGlite itself never checkpoints, so its WAL grows without end; the
 * store's `checkpointIfDue` checkpoints once a segment's worth was written, after which the WAL directory stays
 * bounded however much is written, after a burst too, in memory and on disk.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import { PGlite } from "@electric-sql/pglite";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { withPreparedStatements } from "../../src/store/pgliteStatements.ts";
import {
  type CheckpointIfDueReturnType,
  checkpointIfDue,
  DEFAULT_WAL_CHECKPOINT_BYTES,
} from "../../src/store/pgliteWal.ts";

const MIB = 1024 * 1024;
/**
 * The most WAL the directory holds once checkpoints run after every segment's worth: the segments kept for reuse
 * (at most `max_wal_size`, 64 MiB) and the one or two being written.
 */
const BOUNDED_WAL_BYTES = 96 * MIB;

async function firstRow(database: Database, query: string): Promise<Record<string, unknown>> {
  const result = (await database.db.execute(sql.raw(query))) as unknown as {
    rows: Record<string, unknown>[];
  };
  const row = result.rows[0];
  if (row === undefined) throw new Error(`no row from ${query}`);
  return row;
}

/** What PGlite's pg_wal directory holds, in bytes. */
async function walDirectoryBytes(database: Database): Promise<number> {
  return Number(
    (await firstRow(database, "select coalesce(sum(size), 0)::text as bytes from pg_ls_waldir()")).bytes,
  );
}

/**
 * About `mib` MiB of WAL (a little more): rows of 2,000 bytes stored as they are (no compression, no TOAST), one
 * statement per MiB.
 */
async function writeWal(database: Database, mib: number): Promise<void> {
  await database.db.execute(
    sql.raw("create table if not exists wal_filler (id serial primary key, body text)"),
  );
  await database.db.execute(sql.raw("alter table wal_filler alter column body set storage plain"));
  for (let written = 0; written < mib; written += 1) {
    await database.db.execute(
      sql.raw("insert into wal_filler (body) select repeat('x', 2000) from generate_series(1, 512)"),
    );
  }
}

function checkpointOf(database: Database): (thresholdBytes?: number) => Promise<CheckpointIfDueReturnType> {
  const checkpoint = database.checkpointIfDue;
  if (checkpoint === undefined) expect.fail("a PGlite database checkpoints");
  return checkpoint;
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

  // A canary: it passes without the fix. If it fails, PGlite checkpoints by itself and pgliteWal.ts can go.
  it("grows without end when nothing checkpoints: PGlite's single-user backend never starts a checkpoint", async () => {
    database = await openDatabase({ dataDir: "memory://" });
    const before = await walDirectoryBytes(database);
    await writeWal(database, 40);
    expect(await walDirectoryBytes(database)).to.be.at.least(before + 32 * MIB);
  });

  it("checkpoints once the threshold's worth of WAL was written since the last checkpoint, and not before", async () => {
    database = await openDatabase({ dataDir: "memory://" });
    const checkpoint = checkpointOf(database);
    await checkpoint(1); // whatever the migrations wrote
    await writeWal(database, 1);
    const early = await checkpoint(2 * MIB);
    expect(early).to.deep.include({ checkpointed: false, checkpointMs: 0 });
    expect(early.walBytes).to.be.within(MIB, 2 * MIB - 1);
    await writeWal(database, 1);
    const due = await checkpoint(2 * MIB);
    expect(due.checkpointed).to.equal(true);
    expect(due.walBytes).to.be.at.least(2 * MIB);
    expect(due.checkpointMs).to.be.above(0);
    // Nothing written since: the next check finds (almost) nothing to do.
    const after = await checkpoint(2 * MIB);
    expect(after.checkpointed).to.equal(false);
    expect(after.walBytes).to.be.below(64 * 1024);
    // The default threshold is one segment.
    expect((await checkpoint()).checkpointed).to.equal(false);
    expect(DEFAULT_WAL_CHECKPOINT_BYTES).to.equal(16 * MIB);
  });

  it("keeps the statements the agent's client keeps prepared (a checkpoint is not a schema change)", async () => {
    const prepared = withPreparedStatements({ client: await PGlite.create("memory://") });
    try {
      await prepared.query("create table t (id int)");
      await prepared.query("insert into t values ($1)", [1]);
      await prepared.query("select id from t where id = $1", [1]);
      expect((await checkpointIfDue(prepared, 2 ** 40)).checkpointed).to.equal(false); // its own select is kept too
      const kept = prepared.preparedStatements;
      expect(kept).to.be.at.least(2);
      expect((await checkpointIfDue(prepared, 1)).checkpointed).to.equal(true);
      expect(prepared.preparedStatements).to.equal(kept);
      expect(
        (await prepared.query<{ id: number }>("select id from t where id = $1", [1])).rows,
      ).to.deep.equal([{ id: 1 }]);
    } finally {
      await prepared.close();
    }
  });

  it("stays bounded with a checkpoint after each segment's worth, before and after each checkpoint, and after a burst", async () => {
    database = await openDatabase({ dataDir: "memory://" });
    const checkpoint = checkpointOf(database);
    let largest = 0;
    const round = async (mib: number) => {
      await writeWal(database as Database, mib);
      largest = Math.max(largest, await walDirectoryBytes(database as Database));
      expect((await checkpoint()).checkpointed).to.equal(true);
      largest = Math.max(largest, await walDirectoryBytes(database as Database));
    };
    for (let index = 0; index < 4; index += 1) await round(17);
    expect(largest).to.be.at.most(BOUNDED_WAL_BYTES);
    // A burst between two checks (an indexer catching up) fills the directory once; the segments it leaves are
    // not all kept for reuse: at most `max_wal_size` of them.
    await round(160);
    expect(largest).to.be.above(160 * MIB);
    largest = 0;
    for (let index = 0; index < 2; index += 1) await round(17);
    expect(largest).to.be.at.most(BOUNDED_WAL_BYTES);
  });

  it("removes the segments before the checkpoint from a data directory on disk, and keeps the rows", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "pglite-wal-"));
    database = await openDatabase({ dataDir });
    const checkpoint = checkpointOf(database);
    for (let round = 0; round < 4; round += 1) {
      await writeWal(database, 17);
      expect((await checkpoint()).checkpointed).to.equal(true);
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
      4 * 17 * 512,
    );
  });
});
