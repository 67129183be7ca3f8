/**
 * Opening the store: PGlite persistence across close/reopen, parameter validation, unreachable and
 * unmigratable databases, and the PostgreSQL pool's bounds and concurrent startup.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { sql } from "drizzle-orm";
import pg from "pg";
import { ManualClock } from "../../src/clock.ts";
import { AgentError, DependencyError, ValidationError } from "../../src/errors.ts";
import { openDatabase } from "../../src/store/database.ts";
import { mapDatabaseError } from "../../src/store/databaseErrors.ts";
import { openStore } from "../../src/store/openStore.ts";
import {
  MIGRATION_COUNT,
  type OpenedTestStore,
  openOrSkip,
  postgresDriver,
  queryRows,
  TEST_DATABASE_URL,
} from "./storeDrivers.ts";

const OWNER = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4";

async function rejectionOf(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(AgentError);
    return error as AgentError;
  }
  expect.fail("expected a rejection");
}

describe("openStore", () => {
  const clock = new ManualClock(new Date("2026-11-23T07:00:00Z"));

  describe("closing PGlite", () => {
    it("waits for a transaction in flight before closing, and answers a read begun after close() with DependencyError", async () => {
      // PGlite closed under a statement still waiting for its lock spins forever (docs/reliability.md, bug 26).
      const store = await openStore({ dataDir: "memory://", clock });
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const inFlight = store.transaction(async (tx) => {
        await tx.workouts.listByOwner(OWNER.toLowerCase());
        await held;
        return tx.workouts.listByOwner(OWNER.toLowerCase());
      });
      await new Promise((resolve) => setImmediate(resolve));
      let closed = false;
      const closing = store.close().then(() => {
        closed = true;
      });
      try {
        const refused = await rejectionOf(store.workouts.listByOwner(OWNER.toLowerCase()));
        expect(refused).to.be.instanceOf(DependencyError);
        expect(String((refused.cause as Error | undefined)?.message)).to.equal("PGlite is closing");
        await new Promise((resolve) => setImmediate(resolve));
        expect(closed, "closed under the transaction").to.equal(false);
      } finally {
        release();
      }
      expect((await inFlight).items).to.deep.equal([]);
      await closing;
    });
  });

  describe("PGlite in a data directory", () => {
    let dataDir: string;

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "agent-store-pglite-"));
    });

    after(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it("keeps everything across close and reopen, without re-running migrations", async () => {
      const dir = join(dataDir, "nested", "pglite"); // created on first open
      const first = await openStore({ dataDir: dir, clock });
      expect(first.driver).to.equal("pglite");
      const workout = await first.workouts.insert({
        owner: OWNER,
        source: "gpx",
        contentHash: `0x${"42".repeat(32)}`,
        sport: "ride",
        startTime: new Date("2026-11-22T08:00:00Z"),
        endTime: new Date("2026-11-22T09:30:00Z"),
        durationSec: 5000,
        elapsedSec: 5400,
        verdict: { status: "accepted", reasons: [] },
      });
      const entry = await first.auditLog.append({
        actor: OWNER,
        action: "workout.uploaded",
        subject: workout.id,
      });
      await first.siweNonces.issue("persistedNonce1", 60_000);
      expect(await first.locks.tryAcquire("keeper", "instance-a", 60_000)).to.equal(true);
      await first.close();
      await first.close(); // idempotent

      const second = await openStore({ dataDir: dir, clock });
      expect(await second.workouts.getById(workout.id)).to.deep.equal(workout);
      expect(await second.auditLog.list({ subject: workout.id })).to.deep.equal([entry]);
      expect(await second.siweNonces.consume("persistedNonce1")).to.equal(true);
      expect(await second.locks.tryAcquire("keeper", "instance-b", 60_000)).to.equal(false);
      await second.close();

      const raw = await openDatabase({ dataDir: dir });
      try {
        const applied = await queryRows<{ n: number }>(
          raw,
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        );
        expect(applied[0]?.n).to.equal(MIGRATION_COUNT);
      } finally {
        await raw.close();
      }

      const error = await rejectionOf(second.ping());
      expect(error).to.be.instanceOf(DependencyError);
      expect(error.code).to.equal("database_unavailable");
      const closed = await rejectionOf(second.workouts.getById(workout.id));
      expect(closed).to.be.instanceOf(DependencyError);
      expect(closed.code).to.equal("database_error");
    });

    it("reopens after a process that exited mid-transaction without closing: committed rows kept, the open one rolled back", async function () {
      this.timeout(90_000);
      const dir = join(dataDir, "exited");
      const child = spawn(
        process.execPath,
        [fileURLToPath(new URL("./exitMidTransaction.child.ts", import.meta.url)), dir],
        {
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const [code] = await once(child, "exit");
      expect(code, stderr).to.equal(1);
      const reopened = await openStore({ dataDir: dir, clock });
      try {
        const stored = await reopened.workouts.listByOwner(OWNER.toLowerCase());
        expect(stored.items.map((w) => w.contentHash)).to.deep.equal([`0x${"01".repeat(32)}`]);
      } finally {
        await reopened.close();
      }
    });

    it("fails with DependencyError `database_migration_failed` when a migration does not apply", async () => {
      const folder = join(dataDir, "broken-migrations");
      await mkdir(join(folder, "meta"), { recursive: true });
      await writeFile(
        join(folder, "meta", "_journal.json"),
        JSON.stringify({
          version: "7",
          dialect: "postgresql",
          entries: [{ idx: 0, version: "7", when: 1, tag: "0000_broken", breakpoints: true }],
        }),
      );
      await writeFile(
        join(folder, "0000_broken.sql"),
        "create table ok (id int);\n--> statement-breakpoint\ncreate tabel broken;",
      );
      const error = await rejectionOf(openStore({ dataDir: "memory://", migrationsFolder: folder, clock }));
      expect(error).to.be.instanceOf(DependencyError);
      expect(error.code).to.equal("database_migration_failed");
      expect(String((error.cause as Error).message)).to.match(/syntax error/);
    });
  });

  describe("parameters", () => {
    it("refuses a URL that is not postgres:// and a schema that is not a plain identifier", async () => {
      const url = await rejectionOf(openStore({ databaseUrl: "mysql://localhost/db", clock }));
      expect(url).to.be.instanceOf(ValidationError);
      const schema = await rejectionOf(
        openStore({ dataDir: "memory://", schema: 'x"; drop table y; --', clock }),
      );
      expect(schema).to.be.instanceOf(ValidationError);
    });

    it("fails fast with DependencyError `database_unavailable` when PostgreSQL is unreachable, password redacted", async () => {
      const error = await rejectionOf(
        openStore({
          databaseUrl: "postgres://agent:s3cret@127.0.0.1:1/test",
          pool: { connectionTimeoutMs: 2_000 },
          clock,
        }),
      );
      expect(error).to.be.instanceOf(DependencyError);
      expect(error.code).to.equal("database_unavailable");
      expect(JSON.stringify({ message: error.message, details: error.details })).to.not.include("s3cret");
      expect(error.details.url).to.equal("postgres://agent:***@127.0.0.1:1/test");
    });
  });

  describe(`pool on ${postgresDriver.name}`, () => {
    const suiteTitle = `openStore pool on ${postgresDriver.name}`;
    let opened: OpenedTestStore | undefined;
    const extraSchemas: string[] = [];

    before(async function () {
      opened = await openOrSkip(this, postgresDriver, clock, suiteTitle);
    });

    after(async () => {
      await opened?.cleanup();
      if (extraSchemas.length === 0) return;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      for (const schema of extraSchemas) await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    });

    it("applies the statement timeout, search_path and connection bound it was given", async () => {
      const schema = opened?.migrationsSchema ?? "";
      const database = await openDatabase({
        databaseUrl: TEST_DATABASE_URL,
        schema,
        pool: { max: 2, statementTimeoutMs: 300, idleTimeoutMs: 1_000 },
      });
      try {
        const [settings] = await queryRows<{ timeout: string; path: string }>(
          database,
          sql`select current_setting('statement_timeout') as timeout, current_setting('search_path') as path`,
        );
        expect(settings).to.deep.equal({ timeout: "300ms", path: schema });

        const pids = await Promise.all(
          Array.from({ length: 6 }, () =>
            queryRows<{ pid: number }>(
              database,
              sql`select pg_backend_pid() as pid, pg_sleep(0.05)::text as slept`,
            ),
          ),
        );
        expect(new Set(pids.map((rows) => rows[0]?.pid)).size).to.be.within(1, 2);

        const slow = await database.db.execute(sql`select pg_sleep(2)`).then(
          () => undefined,
          (error: unknown) => error,
        );
        const mapped = mapDatabaseError(slow, "slow query");
        expect(mapped).to.be.instanceOf(DependencyError);
        expect(mapped.details.driverCode).to.equal("57014"); // query_canceled by statement_timeout
      } finally {
        await database.close();
      }
    });

    it("survives the server ending a connection held by a transaction (a restart): the transaction fails, the pool goes on", async () => {
      const errors: Error[] = [];
      const database = await openDatabase({
        databaseUrl: TEST_DATABASE_URL,
        schema: opened?.migrationsSchema ?? "",
        pool: { max: 2 },
        onPoolError: (error) => errors.push(error),
      });
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        const outcome = await database.db
          .transaction(async (tx) => {
            const result = (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown;
            const [row] = (result as { rows: { pid: number }[] }).rows;
            // Terminated between two statements: no query is running on it when the server's FATAL arrives.
            await admin.query("select pg_terminate_backend($1)", [row?.pid]);
            await new Promise((resolve) => setTimeout(resolve, 300));
            await tx.execute(sql`select 1`);
          })
          .then(
            () => "committed",
            (error: unknown) => error,
          );
        expect(outcome).to.be.instanceOf(Error);
        // Reported, not thrown: the server's FATAL (then the socket's end).
        expect((errors[0] as { code?: string } | undefined)?.code).to.equal("57P01");
        const [after] = await queryRows<{ one: number }>(database, sql`select 1 as one`);
        expect(after?.one).to.equal(1);
      } finally {
        await admin.end();
        await database.close();
      }
    });

    it("lets several instances start at once on an empty schema: each migration applied once", async () => {
      const schema = `agent_store_test_${process.pid}_${randomBytes(4).toString("hex")}`;
      extraSchemas.push(schema);
      const parameters = { databaseUrl: TEST_DATABASE_URL, schema, pool: { max: 2 } };
      const databases = await Promise.all(Array.from({ length: 4 }, () => openDatabase(parameters)));
      try {
        const [applied] = await queryRows<{ n: number }>(
          databases[0] ?? expect.fail("no database"),
          sql`select count(*)::int as n from ${sql.identifier(schema)}.${sql.identifier("__drizzle_migrations")}`,
        );
        expect(applied?.n).to.equal(MIGRATION_COUNT);
      } finally {
        await Promise.all(databases.map((database) => database.close()));
      }
    });
  });
});
