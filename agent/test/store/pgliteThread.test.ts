/**
 * PGlite on a thread of its own (store/pgliteThread/): what the store suites run through it (storeDrivers.ts,
 * `pgliteThreadDriver`) does not show on its own: errors crossing with their class and fields, a unit of work's
 * changes published after its commit, a parameter that cannot be posted, the thread dying under the store, and
 * an idle thread not holding the process open.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { expect } from "chai";
import { getAddress } from "viem";
import { ManualClock } from "../../src/clock.ts";
import * as errors from "../../src/errors.ts";
import { AgentError, ConflictError, DependencyError, ValidationError } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/metrics.ts";
import { ingestActivities } from "../../src/services/ingestActivities.ts";
import { manualActivityOf } from "../../src/services/manualWorkoutLog.ts";
import { DEFAULT_MIGRATIONS_FOLDER } from "../../src/store/database.ts";
import { mapDatabaseError } from "../../src/store/databaseErrors.ts";
import { openStore } from "../../src/store/openStore.ts";
import {
  crossError,
  crossErrorSafely,
  pgliteBroke,
  rebuildError,
  WASM_RUNTIME_ERROR,
} from "../../src/store/pgliteThread/protocol.ts";
import { connectThreadClient } from "../../src/store/pgliteThread/threadClient.ts";
import type { StoreChange } from "../../src/store/storeChanges.ts";
import type { Store } from "../../src/store/store.ts";

const NOW = Date.UTC(2026, 11, 7, 12);
const OWNER = "0x00000000000000000000000000000000000a11ce";

describe("PGlite on its own thread", function () {
  this.timeout(60_000);

  describe("errors crossing between the threads", () => {
    it("rebuilds the agent's errors with their class, code, details and cause", () => {
      const original = new ValidationError({
        code: "bad_field",
        message: "field is wrong",
        details: { field: "sport", limit: 3 },
        cause: new ConflictError({ code: "duplicate", message: "already there" }),
      });
      const rebuilt = rebuildError(structuredClone(crossError(original)));
      expect(rebuilt).to.be.instanceOf(ValidationError);
      expect(rebuilt).to.include({ code: "bad_field", message: "field is wrong" });
      expect((rebuilt as AgentError).details).to.deep.equal({ field: "sport", limit: 3 });
      expect(rebuilt.cause).to.be.instanceOf(ConflictError).and.include({ code: "duplicate" });
    });

    it("crosses every error class errors.ts defines as itself", () => {
      const defined = Object.entries(errors).filter(
        ([, value]) =>
          typeof value === "function" && (value === AgentError || value.prototype instanceof AgentError),
      );
      expect(defined.length).to.be.greaterThan(5);
      for (const [name, ErrorClass] of defined) {
        const original = new (ErrorClass as typeof AgentError)({ code: "c", message: name });
        const rebuilt = rebuildError(structuredClone(crossError(original)));
        expect(rebuilt.constructor, name).to.equal(ErrorClass);
      }
    });

    it("crosses another subclass as the nearest class that crosses, keeping its name and stack", () => {
      class NamedFieldError extends ValidationError {}
      const original = new NamedFieldError({ code: "bad", message: "bad field" });
      const rebuilt = rebuildError(structuredClone(crossError(original)));
      expect(rebuilt).to.be.instanceOf(ValidationError);
      expect(rebuilt).to.include({ name: "NamedFieldError", code: "bad", stack: original.stack });
    });

    it("describes an error whose details can neither be cloned nor serialised by its name and message", () => {
      const original = new ValidationError({
        code: "odd",
        message: "odd details",
        details: { big: 1n, call: () => 1 },
      });
      expect(() => crossError(original)).to.throw();
      expect(crossErrorSafely(original)).to.deep.equal({ name: "ValidationError", message: "odd details" });
    });

    it("tells PGlite's abort (at the error or along its causes) from an ordinary failure", () => {
      const abort = new WASM_RUNTIME_ERROR("unreachable");
      expect(pgliteBroke(abort)).to.equal(true);
      expect(pgliteBroke(new Error("Aborted(OOM). Build with -sASSERTIONS for more info."))).to.equal(true);
      expect(pgliteBroke(new Error("query failed", { cause: abort }))).to.equal(true);
      expect(pgliteBroke(Object.assign(new Error("duplicate key"), { code: "23505" }))).to.equal(false);
      expect(pgliteBroke(new ValidationError({ code: "bad", message: "Aborted by the caller" }))).to.equal(
        false,
      );
      expect(pgliteBroke("Aborted(")).to.equal(false);
    });

    it("keeps a driver error's SQLSTATE and constraint, and never its query parameters", () => {
      const driverError = Object.assign(new Error("duplicate key value violates unique constraint"), {
        code: "23505",
        constraint: "workouts_owner_content_hash_key",
        table: "workouts",
        params: ["0xsecret"],
        query: "insert into workouts ...",
      });
      const rebuilt = rebuildError(structuredClone(crossError(driverError)));
      expect(rebuilt).to.include({
        code: "23505",
        constraint: "workouts_owner_content_hash_key",
        table: "workouts",
      });
      expect(rebuilt).to.not.have.property("params");
      expect(rebuilt).to.not.have.property("query");
      const mapped = mapDatabaseError(rebuilt, "insert");
      expect(mapped).to.be.instanceOf(ConflictError).and.include({ code: "duplicate" });
    });
  });

  describe("a store over it", () => {
    let store: Store;
    const clock = new ManualClock(NOW);
    before(async () => {
      store = await openStore({ dataDir: "memory://", pgliteThread: true, clock });
    });
    after(() => store?.close());

    it("runs the ingestion's transaction on the thread and publishes its change after the commit", async () => {
      const onThread = store.transactionOnDatabaseThread;
      expect(onThread, "a unit-of-work runner").to.be.a("function");
      const units: string[] = [];
      const inThisThread: string[] = [];
      const watched: Store = {
        ...store,
        transactionOnDatabaseThread: (name, input) => {
          units.push(name);
          return onThread?.(name, input) ?? Promise.reject(new Error("no runner"));
        },
        transaction: (work) => {
          inThisThread.push("transaction");
          return store.transaction(work);
        },
      };
      const changes: StoreChange[] = [];
      const unsubscribe = store.changes.subscribe((change) => changes.push(change));
      const activity = manualActivityOf({
        sport: "run",
        startTime: new Date(NOW - 3 * 3_600_000).toISOString(),
        durationMin: 30,
      });
      const context = {
        store: watched,
        clock,
        chain: undefined,
        metrics: createMetrics({ defaultMetrics: false }),
        logger: createLogger({ level: "silent" }),
      } as unknown as Parameters<typeof ingestActivities>[0];
      const first = await ingestActivities(context, {
        owner: OWNER,
        source: "manual",
        activities: [activity],
      });
      const again = await ingestActivities(context, {
        owner: OWNER,
        source: "manual",
        activities: [activity],
      });
      unsubscribe();
      expect(first).to.include({ stored: 1, duplicates: 0 });
      expect(first.workouts[0]?.verdict.status).to.equal("accepted");
      expect(again).to.include({ stored: 0, duplicates: 1 });
      expect(again.workouts[0]?.id).to.equal(first.workouts[0]?.id);
      expect(changes).to.deep.equal([{ kind: "workouts", owner: getAddress(OWNER) }]);
      expect({ units, inThisThread }).to.deep.equal({ units: ["ingest", "ingest"], inThisThread: [] });
      const stored = await store.workouts.getById(first.workouts[0]?.id ?? "");
      expect(stored?.createdAt.getTime(), "stamped by the store's clock, read at the call").to.equal(NOW);
    });

    it("rethrows what a unit of work throws as it is, not as a database failure, and keeps answering", async () => {
      const unknown = await store.transactionOnDatabaseThread?.("nothing-here", {}).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(unknown).to.be.instanceOf(Error).and.not.be.instanceOf(AgentError);
      expect((unknown as Error).message).to.include("nothing-here");
      // A bug inside the work (an activity without its content hash) stays a bug: a 500, not a 503.
      const bug = await store
        .transactionOnDatabaseThread?.("ingest", {
          parameters: { owner: OWNER, source: "manual", activities: [{}] },
          verifyLimits: {},
          now: NOW,
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(bug).to.be.instanceOf(Error).and.not.be.instanceOf(AgentError);
      expect(bug).to.have.property("name", "TypeError");
      expect((bug as Error).stack).to.include("ingestActivities.ts");
      await store.ping();
    });
  });

  it("fails every call in flight and every later one as a driver error once the thread is gone", async () => {
    const worker = new Worker(new URL("../../src/store/pgliteThread/worker.ts", import.meta.url), {
      workerData: { dataDir: "memory://", schema: undefined, migrationsFolder: DEFAULT_MIGRATIONS_FOLDER },
    });
    const [ready] = (await once(worker, "message")) as [{ ready: boolean }];
    expect(ready.ready).to.equal(true);
    const exits: Error[] = [];
    const client = connectThreadClient(worker, {
      onUnexpectedExit: (error) => {
        exits.push(error);
        // A listener that throws must not keep the calls in flight from being answered.
        throw new Error("listener failed");
      },
    });
    expect((await client.query<{ one: number }>("select 1 as one")).rows).to.deep.equal([{ one: 1 }]);
    // A statement on a transaction that has ended fails at once, as on PGlite's own transaction.
    let ended: Parameters<Parameters<typeof client.transaction>[0]>[0] | undefined;
    await client.transaction(async (tx) => {
      ended = tx;
    });
    const afterEnd = await ended?.query("select 1").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(afterEnd).to.be.instanceOf(Error).and.have.property("message", "Transaction is closed");
    // A parameter that cannot be posted fails its call at once; the thread keeps answering.
    const uncloneable = await client.query("select $1::text", [() => "x"]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(uncloneable).to.be.instanceOf(Error).and.have.property("name", "DataCloneError");
    expect((await client.query<{ two: number }>("select 2 as two")).rows).to.deep.equal([{ two: 2 }]);
    const inFlight = client.query("select pg_sleep(0.5)");
    await worker.terminate();
    for (const call of [inFlight, client.query("select 1")]) {
      const error = await call.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).to.have.property("code", "pglite_thread_exited");
      expect(mapDatabaseError(error, "query")).to.be.instanceOf(DependencyError);
    }
    expect(client.closed).to.equal(true);
    expect(exits.map((error) => (error as Error & { code?: string }).code)).to.deep.equal([
      "pglite_thread_exited",
    ]);
    await client.close();
    expect(exits, "heard once").to.have.length(1);
  });

  it("does not report the thread's end after close() as unexpected", async () => {
    const worker = new Worker(new URL("../../src/store/pgliteThread/worker.ts", import.meta.url), {
      workerData: { dataDir: "memory://", schema: undefined, migrationsFolder: DEFAULT_MIGRATIONS_FOLDER },
    });
    await once(worker, "message");
    const exits: Error[] = [];
    const client = connectThreadClient(worker, { onUnexpectedExit: (error) => exits.push(error) });
    await client.query("select 1");
    await client.close();
    expect(exits).to.deep.equal([]);
    const later = await client.query("select 1").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(mapDatabaseError(later, "query")).to.be.instanceOf(DependencyError);
  });

  /** Runs `script` (a child of this directory) to its end: its exit code, signal and output. */
  async function runChild(script: string) {
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const [code, signal] = await once(child, "exit");
    clearTimeout(timer);
    return { code, signal, output };
  }

  it("does not hold the process open when idle", async () => {
    expect(await runChild("./idleThreadStore.child.ts")).to.deep.equal({
      code: 0,
      signal: null,
      output: "answered\n",
    });
  });

  it("keeps the process alive until close() has ended the thread, with nothing else pending", async () => {
    expect(await runChild("./closeThreadStore.child.ts")).to.deep.equal({
      code: 0,
      signal: null,
      output: "closed\n",
    });
  });
});
