import { strict as assert } from "node:assert";
import { Worker } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { withCloseGate } from "../../src/store/closeGate.ts";
import { withPreparedStatements } from "../../src/store/pgliteStatements.ts";

/** How long a close under load may take before the test calls it hung (it takes well under a second). */
const HUNG_AFTER_MS = 15_000;

interface CloseUnderLoad {
  closed: boolean;
  outcomes: Record<string, number>;
}

/** Runs closeUnderLoad.worker.ts; "hung" when it did not answer in time (a spinning PGlite never does). */
async function closeUnderLoad(closeAfterRounds: number): Promise<CloseUnderLoad | "hung"> {
  const worker = new Worker(new URL("./closeUnderLoad.worker.ts", import.meta.url), {
    workerData: { closeAfterRounds },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<CloseUnderLoad>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`the worker exited (${code}) without an answer`)));
      }),
      new Promise<"hung">((resolve) => {
        timer = setTimeout(() => resolve("hung"), HUNG_AFTER_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

describe("closing PGlite under load (closeGate.ts over pgliteStatements.ts, as database.ts opens it)", () => {
  it("finishes the close while ten callers run transactions and reads; each call finished or was refused", async function () {
    // Three workers, each given HUNG_AFTER_MS, so that a hang reads as one rather than as mocha's timeout.
    this.timeout(3 * HUNG_AFTER_MS + 30_000);
    // Without the gate, PGlite 0.5 spins forever at 100 % CPU in most of these runs (a call waiting for its lock
    // runs on the closed backend).
    for (const closeAfterRounds of [1, 20, 60]) {
      const result = await closeUnderLoad(closeAfterRounds);
      assert.notEqual(result, "hung", `the close after ${closeAfterRounds} rounds hung`);
      if (result === "hung") return;
      assert.equal(result.closed, true);
      assert.deepEqual(
        Object.keys(result.outcomes).filter((outcome) => outcome !== "ok" && outcome !== "PGlite is closing"),
        [],
        `only successes and refusals: ${JSON.stringify(result.outcomes)}`,
      );
      assert.ok((result.outcomes.ok ?? 0) >= closeAfterRounds, "the load ran before the close");
      assert.ok((result.outcomes["PGlite is closing"] ?? 0) > 0, "callers still calling were refused");
    }
  });

  it("lets a transaction in flight commit before closing, and refuses a read begun after the close", async () => {
    const bare = await PGlite.create("memory://");
    const client = withCloseGate(withPreparedStatements({ client: bare }));
    await client.exec("create table t (n int)");
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transaction = client.transaction(async (tx) => {
      await tx.query("insert into t (n) values (1)");
      await held;
      await tx.query("insert into t (n) values (2)");
    });
    await new Promise((resolve) => setImmediate(resolve));
    let closed = false;
    const close = client.close();
    const closing = close.then(() => {
      closed = true;
    });
    try {
      assert.equal(client[Symbol.asyncDispose](), close, "disposing is the same close");
      await assert.rejects(client.query("select count(*) from t"), /PGlite is closing/);
      await assert.rejects(client.sql`select count(*) from t`, /PGlite is closing/);
      await assert.rejects(client.describeQuery("select count(*) from t"), /PGlite is closing/);
      await assert.rejects(client.exec("select 1"), /PGlite is closing/);
      await assert.rejects(
        client.transaction(async () => {}),
        /PGlite is closing/,
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(closed, false, "not closed under the transaction");
      assert.equal(bare.closed, false);
    } finally {
      release();
    }
    await transaction;
    await closing;
    assert.equal(bare.closed, true);
  });
});
