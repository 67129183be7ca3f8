/**
 * Run as a child process by pgliteThread.test.ts: opens PGlite on its own thread, answers one statement, prints
 * `answered` and returns without closing the store. The process must then end by itself: an idle database thread
 * holds nothing open.
 */
import { ManualClock } from "../../src/clock.ts";
import { openStore } from "../../src/store/openStore.ts";

const store = await openStore({ dataDir: "memory://", pgliteThread: true, clock: new ManualClock(0) });
await store.ping();
process.stdout.write("answered\n");
