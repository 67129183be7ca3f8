/**
 * Parse + verify timings for one-hour workout files generated in memory (the same builders as the tests).
 * Run from the repository root with Node 22: `node agent/bench/verifyWorkout.bench.ts [runs]` (default 50).
 * Prints, per file, the median and 95th percentile over the runs after a warm-up.
 */
import { ManualClock } from "../src/clock.ts";
import { contentHash } from "../src/workouts/contentHash.ts";
import { parseWorkoutFile } from "../src/workouts/parseWorkoutFile.ts";
import { verifyWorkout } from "../src/workouts/verifyWorkout.ts";
import { gpx, oneHourRunFit, T0, tcx, track, utf8 } from "../test/workouts/fixtures.ts";
import { printTable } from "./printTable.ts";

const runs = Number(process.argv[2] ?? 50);
const WARM_UP = 5;
const clock = new ManualClock(T0 + 86_400_000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

function measure(task: () => void): { median: number; p95: number } {
  for (let i = 0; i < WARM_UP; i += 1) task();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    task();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 0.5), p95: percentile(times, 0.95) };
}

const hourTrack = track({
  start: T0,
  seconds: 3599,
  speedMps: 3,
  heartRate: (s) => 150 + Math.round(10 * Math.sin(s / 60)),
  ele: (s) => 400 + 5 * Math.sin(s / 300),
});
const files: [string, Uint8Array][] = [
  ["FIT, 1 h, 3,601 records", oneHourRunFit()],
  ["GPX, 1 h, 3,600 points", utf8(gpx({ type: "running", segments: [hourTrack] }))],
  [
    "TCX, 1 h, 3,600 points",
    utf8(tcx([{ sport: "Running", laps: [{ start: T0, totalTimeSec: 3599, points: hourTrack }] }])),
  ],
];

const rows: string[][] = [["file", "KiB", "parse+verify median ms", "p95 ms", "of which keccak median ms"]];
for (const [name, bytes] of files) {
  const total = measure(() => {
    for (const activity of parseWorkoutFile(bytes)) {
      const verdict = verifyWorkout(activity, { clock, acceptedExisting: [] });
      if (verdict.status !== "accepted") throw new Error(`${name}: ${JSON.stringify(verdict)}`);
    }
  });
  const hash = measure(() => contentHash(bytes));
  rows.push([
    name,
    (bytes.length / 1024).toFixed(0),
    total.median.toFixed(2),
    total.p95.toFixed(2),
    hash.median.toFixed(2),
  ]);
}

console.log(`verifyWorkout bench: ${runs} runs after ${WARM_UP} warm-up runs, Node ${process.versions.node}`);
printTable(rows);
