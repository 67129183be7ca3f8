/**
 * Parse + verify timings for one-hour workout files, each beside a bare decode of the same input measured
 * interleaved in the same process (so a slow stretch of a shared machine hits both alike):
 * - FIT beside a bare `@garmin/fitsdk` decode of the same bytes (`new Decoder(Stream.fromByteArray(bytes)).read()`);
 * - GPX beside a bare `txml` parse of the same text;
 * - TCX (no bare baseline; reported for completeness).
 * Files: the generated one-hour files (the same builders as the tests) and real one-hour device files from
 * ../shared/fixtures/workouts (when that directory is there).
 *
 * Run from the repository root with Node 22: `node agent/bench/verifyWorkout.bench.ts [runs] [--json]`
 * (default 50 runs after 5 warm-up runs). Prints, per file, the medians, the ratio of the medians and the
 * content hash (hash-wasm, and viem's JS keccak256 it replaced); with `--json`, one JSON line last.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Decoder, Stream } from "@garmin/fitsdk";
import { parse as parseTxml } from "txml/txml";
import { keccak256 } from "viem";
import { ManualClock } from "../src/clock.ts";
import { contentHash } from "../src/workouts/contentHash.ts";
import { parseWorkoutFile } from "../src/workouts/parseWorkoutFile.ts";
import { verifyWorkout } from "../src/workouts/verifyWorkout.ts";
import { gpx, oneHourRunFit, T0, tcx, track, utf8 } from "../test/workouts/fixtures.ts";
import { printTable } from "./printTable.ts";

const args = process.argv.slice(2);
const json = args.includes("--json");
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);
const WARM_UP = 5;
const clock = new ManualClock(Date.now() + 86_400_000);
const FIXTURES = fileURLToPath(new URL("../../../shared/fixtures/workouts/", import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] ?? Number.NaN;
}

function time(task: () => void): number {
  const start = performance.now();
  task();
  return performance.now() - start;
}

/** Runs the tasks interleaved (a, b, c, a, b, c, ...) and returns each one's times. */
function interleaved(tasks: (() => void)[]): number[][] {
  for (let i = 0; i < WARM_UP; i += 1) for (const task of tasks) task();
  const times = tasks.map(() => [] as number[]);
  for (let i = 0; i < runs; i += 1) for (const [t, task] of tasks.entries()) times[t]?.push(time(task));
  return times;
}

interface BenchFile {
  name: string;
  format: "fit" | "gpx" | "tcx";
  bytes: Uint8Array;
}

const hourTrack = track({
  start: T0,
  seconds: 3599,
  speedMps: 3,
  heartRate: (s) => 150 + Math.round(10 * Math.sin(s / 60)),
  ele: (s) => 400 + 5 * Math.sin(s / 300),
});
const files: BenchFile[] = [
  { name: "FIT, generated 1 h, 3,601 records", format: "fit", bytes: oneHourRunFit() },
  {
    name: "GPX, generated 1 h, 3,600 points",
    format: "gpx",
    bytes: utf8(gpx({ type: "running", segments: [hourTrack] })),
  },
  {
    name: "TCX, generated 1 h, 3,600 points",
    format: "tcx",
    bytes: utf8(tcx([{ sport: "Running", laps: [{ start: T0, totalTimeSec: 3599, points: hourTrack }] }])),
  },
];
// Real device files of about an hour (SOURCES.md in that directory says where each comes from).
const REAL: [string, BenchFile["format"]][] = [
  ["fit_garmin_fenix2_run.fit", "fit"],
  ["fit_garmin_fr945_treadmill_run.fit", "fit"],
  ["fit_nk_inverted_elapsed_timer.fit", "fit"],
  ["fit_hammerhead_karoo2_ride.fit", "fit"],
  ["gpx_amazfit_run_hr.gpx", "gpx"],
  ["gpx_strava_swim_hr.gpx", "gpx"],
];
for (const [name, format] of REAL) {
  if (existsSync(FIXTURES + name))
    files.push({ name, format, bytes: new Uint8Array(readFileSync(FIXTURES + name)) });
}

function ours(bytes: Uint8Array): void {
  for (const activity of parseWorkoutFile(bytes)) verifyWorkout(activity, { clock, acceptedExisting: [] });
}

interface Result {
  file: string;
  format: string;
  kib: number;
  oursMedianMs: number;
  oursP95Ms: number;
  bareMedianMs?: number;
  ratio?: number;
  hashMedianMs: number;
  viemHashMedianMs: number;
}

const results: Result[] = [];
for (const file of files) {
  const { bytes } = file;
  const text = new TextDecoder().decode(bytes);
  const bare =
    file.format === "fit"
      ? () => void new Decoder(Stream.fromByteArray(bytes)).read()
      : file.format === "gpx"
        ? () => void parseTxml(text)
        : undefined;
  const tasks = [() => ours(bytes), ...(bare === undefined ? [] : [bare])];
  const [oursTimes = [], bareTimes] = interleaved(tasks);
  const [hashTimes = [], viemTimes = []] = interleaved([() => contentHash(bytes), () => keccak256(bytes)]);
  const result: Result = {
    file: file.name,
    format: file.format,
    kib: Math.round(bytes.length / 1024),
    oursMedianMs: median(oursTimes),
    oursP95Ms: p95(oursTimes),
    hashMedianMs: median(hashTimes),
    viemHashMedianMs: median(viemTimes),
  };
  if (bareTimes !== undefined) {
    result.bareMedianMs = median(bareTimes);
    result.ratio = result.oursMedianMs / result.bareMedianMs;
  }
  results.push(result);
}

console.log(
  `verifyWorkout bench: ${runs} interleaved runs after ${WARM_UP} warm-up runs, Node ${process.versions.node}`,
);
const rows: string[][] = [
  [
    "file",
    "KiB",
    "parse+verify median ms",
    "p95 ms",
    "bare decode median ms",
    "ratio",
    "hash ms",
    "viem keccak ms",
  ],
];
for (const r of results) {
  rows.push([
    r.file,
    String(r.kib),
    r.oursMedianMs.toFixed(2),
    r.oursP95Ms.toFixed(2),
    r.bareMedianMs === undefined ? "—" : r.bareMedianMs.toFixed(2),
    r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`,
    r.hashMedianMs.toFixed(2),
    r.viemHashMedianMs.toFixed(2),
  ]);
}
printTable(rows);
const worst = (format: string) =>
  Math.max(...results.filter((r) => r.format === format && r.ratio !== undefined).map((r) => r.ratio ?? 0));
console.log(
  `worst ratio: FIT ${worst("fit").toFixed(2)}× (goal ≤ 1.3×), GPX ${worst("gpx").toFixed(2)}× (goal ≤ 2×)`,
);
if (json)
  console.log(
    JSON.stringify({
      bench: "verifyWorkout",
      runs,
      worstFitRatio: worst("fit"),
      worstGpxRatio: worst("gpx"),
      results,
    }),
  );
