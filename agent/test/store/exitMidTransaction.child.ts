/**
 * Run as a child process by openStore.test.ts: opens the store in `argv[2]`, stores one workout, then exits with
 * code 1 in the middle of a transaction that stored a second one — what a killed agent, or a second SIGTERM
 * during shutdown (main.ts), leaves behind.
 */
import { ManualClock } from "../../src/clock.ts";
import { openStore } from "../../src/store/openStore.ts";

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error("usage: exitMidTransaction.child.ts <dataDir>");
const clock = new ManualClock(new Date("2026-12-06T12:00:00Z"));
const store = await openStore({ dataDir, clock });
const workout = (hash: string) => ({
  owner: "0x5b38da6a701c568545dcfcb03fcb875f56beddc4",
  source: "manual" as const,
  contentHash: `0x${hash.repeat(32)}`,
  sport: "run",
  startTime: new Date("2026-12-06T08:00:00Z"),
  endTime: new Date("2026-12-06T08:30:00Z"),
  durationSec: 1_800,
  elapsedSec: 1_800,
  verdict: { status: "accepted" as const, reasons: [] },
});
await store.workouts.insert(workout("01"));
await store.transaction(async (tx) => {
  await tx.workouts.insert(workout("02"));
  process.exit(1);
});
