/**
 * Worker for pgliteClose.test.ts: ten callers run transactions and reads on one PGlite while it is closed
 * under them, through the close gate over the prepared-statements wrapper, as `database.ts` opens it.
 * Posts each caller's outcomes and whether the close finished. Run in a worker because a close that hangs PGlite
 * spins this thread forever: only `terminate()` from outside can stop it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { withCloseGate } from "../../src/store/closeGate.ts";
import { withPreparedStatements } from "../../src/store/pgliteStatements.ts";

/** The close begins once the callers finished this many rounds between them. */
const { closeAfterRounds } = workerData as { closeAfterRounds: number };
const bare = await PGlite.create("memory://");
const client = withCloseGate(withPreparedStatements({ client: bare }));
await client.query("select 1");
let stop = false;
const outcomes: Record<string, number> = {};
let loaded!: () => void;
const enoughRounds = new Promise<void>((resolve) => {
  loaded = resolve;
});
const note = (outcome: string) => {
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  if ((outcomes.ok ?? 0) >= closeAfterRounds) loaded();
};
const caller = async () => {
  while (!stop) {
    try {
      await client.transaction(async (tx) => {
        await tx.query("select 1 as a");
        await tx.query("select 2 as b");
      });
      await client.query("select 3 as c");
      note("ok");
    } catch (error) {
      note(error instanceof Error ? error.message : String(error));
      stop = true;
    }
  }
};
const callers = Array.from({ length: 10 }, caller);
await enoughRounds;
await client.close();
await Promise.all(callers);
parentPort?.postMessage({ closed: bare.closed, outcomes });
