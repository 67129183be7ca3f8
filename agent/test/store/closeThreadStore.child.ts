/**
 * Run as a child process by pgliteThread.test.ts: opens PGlite on its own thread, stores workouts, closes the store
 * with statements still in flight (as a stop under load does) and prints `closed` once close() resolved. With
 * nothing else pending, close() itself must keep the process alive until it is done.
 */
import { ManualClock } from "../../src/clock.ts";
import { openStore } from "../../src/store/openStore.ts";

const store = await openStore({ dataDir: "memory://", pgliteThread: true, clock: new ManualClock(0) });
const owner = "0x5b38da6a701c568545dcfcb03fcb875f56beddc4";
const inFlight = Array.from({ length: 20 }, (_, index) =>
  store.workouts.insert({
    owner,
    source: "manual",
    contentHash: `0x${index.toString(16).padStart(64, "0")}`,
    sport: "run",
    startTime: new Date(Date.UTC(2026, 11, 1, index)),
    endTime: new Date(Date.UTC(2026, 11, 1, index, 30)),
    durationSec: 1_800,
    elapsedSec: 1_800,
    verdict: { status: "accepted", reasons: [] },
  }),
);
await store.close();
await Promise.allSettled(inFlight);
process.stdout.write("closed\n");
