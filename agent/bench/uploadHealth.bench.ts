/**
 * Does a big upload stall other requests? `GET /health` latency while four ~23 MiB GPX files (33 h at 1 Hz,
 * 118,800 points each, just under the default 25 MiB upload limit) are uploaded at once, with uploads parsed
 * in process (the event loop, as before issue 18) and on the worker pool (workouts/workoutParsePool.ts, sized
 * to the cores, as `assembleAgent` runs it).
 *
 * Run from the repository root with Node 22: `node agent/bench/uploadHealth.bench.ts [--json] [--pool-only]
 * [--clients-at-default-priority] [--no-warm-up]` (`--pool-only`: skip the in-process baseline).
 * `BENCH_CPU_PROFILE=<dir>` writes a CPU profile of the server's main thread (the event loop the probes wait for)
 * per mode.
 *
 * The server (createApp with the workout routes over PGlite in memory, on a thread of its own as the agent runs
 * it unless PGLITE_THREAD=false; the test harness) runs in this process;
 * the uploads come from one child process and the `/health` probes from another (one probe every 10 ms on a
 * kept-alive connection), so neither client's work lands on the server's event loop. Prints, per mode, the
 * probes' p50 / p99 / max, the uploads' statuses and how long they took, the server's own event-loop delay and
 * garbage-collection pauses while the uploads ran, and the problem of a failed upload; with `--json`, one JSON line
 * last.
 *
 * The two clients stand in for other machines (people uploading, a load balancer probing), but here they share
 * the server's two cores. So that what is measured is the server and not the clients' share of the cores
 * (`CLIENT_PRIORITIES`): the uploader runs at the lowest priority (nice 19; building and sending 96 MiB of
 * multipart costs it about as much CPU as the server spends receiving it), and the prober, asleep nearly all the
 * time, at nice -10 where that is allowed (root; otherwise at the default), so that its wake-up when an answer
 * arrives is not queued behind the uploader or the parse workers. `--clients-at-default-priority` runs both at the
 * default priority, as the bench did before 2026-12-06. Before the measured uploads, four other files of the same
 * size are uploaded at once (not measured), so the server is in the state of an agent that served big uploads in
 * the last minute (compiled code, the upload buffer pool's slots allocated); `--no-warm-up` measures a server that
 * served none yet.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { Agent, get } from "node:http";
import type { AddressInfo } from "node:net";
import { setPriority } from "node:os";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createWorkoutParsePool, type WorkoutParsePool } from "../src/workouts/workoutParsePool.ts";
import { cookieFor, MONDAY, newAccount, openRoutesHarness } from "../test/http/routesHarness.ts";
import { pgliteDriver, pgliteThreadDriver } from "../test/store/storeDrivers.ts";
import { gpx, track } from "../test/workouts/fixtures.ts";
import { CpuProfile } from "./cpuProfile.ts";
import { printTable } from "./printTable.ts";

const SELF = fileURLToPath(import.meta.url);
const UPLOADS = 4;
const HOURS = 33;
const PROBE_EVERY_MS = 10;
/** Niceness per client role (see the module comment); `--clients-at-default-priority` leaves both at 0. */
const CLIENT_PRIORITIES = { upload: 19, probe: -10 } as const;

interface ClientSpec {
  role: "upload" | "probe";
  url: string;
  cookie: string;
  /** Whether the client takes its role's niceness (CLIENT_PRIORITIES). */
  prioritised: boolean;
  /** Whether the uploader warms the server up first (`--no-warm-up`: a server that served no upload yet). */
  warmUp: boolean;
}

interface UploadReport {
  statuses: string[];
  /** The body of the first failed upload per status. */
  failures: Record<string, string>;
  bytes: number;
  ms: number;
}

interface ProbeReport {
  latencies: number[];
  failures: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
}

/** One of the bench's long files: `HOURS` at 1 Hz, starting `day` days after MONDAY. */
function longFile(day: number): string {
  return gpx({
    type: "running",
    segments: [
      track({
        start: (MONDAY + day * 86_400) * 1000,
        seconds: HOURS * 3600,
        speedMps: 3,
        heartRate: (s) => 150 + Math.round(10 * Math.sin(s / 60)),
        ele: (s) => 400 + 5 * Math.sin(s / 300),
      }),
    ],
  });
}

/** Uploads `files` at once; each answer's status (or the client error), and the first failure per status. */
async function uploadAll(spec: ClientSpec, files: readonly string[], failures: Map<number, string>) {
  return await Promise.all(
    files.map(async (text, i) => {
      const form = new FormData();
      form.append("file", new Blob([text]), `long-${i}.gpx`);
      try {
        const res = await fetch(`${spec.url}/api/workouts/upload`, {
          method: "POST",
          headers: { cookie: spec.cookie },
          body: form,
        });
        const body = await res.text();
        // An upload that failed says why (the problem's code and detail), once per status.
        if (!res.ok && !failures.has(res.status)) failures.set(res.status, body.slice(0, 300));
        return String(res.status);
      } catch (error) {
        // A connection the server closed before the client finished (reported, not fatal to the bench).
        const cause = (error as { cause?: { code?: string } }).cause;
        return cause?.code ?? "error";
      }
    }),
  );
}

async function uploadClient(spec: ClientSpec): Promise<UploadReport> {
  // Warm-up (not measured): four other long files at once, as an agent that served big uploads in the last minute
  // has compiled code and the upload route's buffer pool holds its slots (uploadBufferPool.ts).
  const warmUp = spec.warmUp ? Array.from({ length: UPLOADS }, (_, i) => longFile(-2 * (i + 1))) : [];
  const warmUpFailures = new Map<number, string>();
  const warmUpStatuses = await uploadAll(spec, warmUp, warmUpFailures);
  if (warmUpStatuses.some((status) => status !== "201")) {
    throw new Error(
      `warm-up uploads failed: ${warmUpStatuses.join(" ")} ${[...warmUpFailures.values()].join(" ")}`,
    );
  }
  const files = Array.from({ length: UPLOADS }, (_, i) => longFile(i * 2));
  process.send?.({ ready: true });
  await once(process, "message");
  const failures = new Map<number, string>();
  const start = performance.now();
  const statuses = await uploadAll(spec, files, failures);
  return {
    statuses,
    bytes: files[0]?.length ?? 0,
    ms: performance.now() - start,
    failures: Object.fromEntries(failures),
  };
}
async function probeClient(spec: ClientSpec): Promise<ProbeReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // A probe whose connection the server dropped (a keep-alive timer firing late after a stall) counts with the
  // time it took to fail, and the next probe opens a new connection.
  const probe = () =>
    new Promise<number>((resolve) => {
      const start = performance.now();
      const failed = () => {
        failures += 1;
        resolve(performance.now() - start);
      };
      get(`${spec.url}/health`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(performance.now() - start));
        res.on("error", failed);
      }).on("error", failed);
    });
  let failures = 0;
  for (let i = 0; i < 20; i += 1) await probe();
  process.send?.({ ready: true });
  // Recording starts with the measured uploads ("go"), after the uploader's warm-up, and ends at "stop".
  await once(process, "message");
  const latencies: number[] = [];
  let stop = false;
  process.once("message", () => {
    stop = true;
  });
  while (!stop && latencies.length < 100_000) {
    latencies.push(await probe());
    await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
  }
  return { latencies, failures };
}

/** Takes the role's niceness; where that is not allowed (a negative one needs root) the client stays at 0. */
function takePriority(spec: ClientSpec): string {
  if (!spec.prioritised) return "0";
  try {
    setPriority(CLIENT_PRIORITIES[spec.role]);
    return String(CLIENT_PRIORITIES[spec.role]);
  } catch {
    return "0 (not allowed)";
  }
}

async function child(): Promise<void> {
  const [message] = (await once(process, "message")) as [ClientSpec];
  process.send?.({ niceness: takePriority(message) });
  const report = message.role === "upload" ? await uploadClient(message) : await probeClient(message);
  process.send?.({ report });
}

function spawn(spec: ClientSpec): {
  process: ChildProcess;
  niceness: Promise<string>;
  ready: Promise<unknown>;
  report: Promise<unknown>;
} {
  const proc = fork(SELF, ["--child"], { stdio: "inherit" });
  proc.send(spec);
  let markReady: (value: unknown) => void = () => {};
  let markNiceness: (value: string) => void = () => {};
  const ready = new Promise((resolve) => {
    markReady = resolve;
  });
  const niceness = new Promise<string>((resolve) => {
    markNiceness = resolve;
  });
  const report = new Promise((resolve, reject) => {
    proc.on("message", (m: { ready?: boolean; report?: unknown; niceness?: string }) => {
      if (m.niceness !== undefined) markNiceness(m.niceness);
      if (m.ready === true) markReady(true);
      if (m.report !== undefined) resolve(m.report);
    });
    proc.on("exit", (code) => {
      if (code !== 0) reject(new Error(`client exited with ${code}`));
    });
  });
  return { process: proc, niceness, ready, report };
}

interface ModeResult {
  mode: string;
  probes: number;
  failedProbes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  uploadStatuses: string[];
  uploadFailures: Record<string, string>;
  uploadMiB: number;
  uploadsMs: number;
  /** The server's own event-loop delay while the uploads ran (perf_hooks, 1-ms resolution). */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** The server's garbage-collection pauses while the uploads ran: how many, their total and the longest. */
  gcPauses: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** The niceness each client ran at. */
  uploaderNiceness: string;
  proberNiceness: string;
}

async function measure(mode: "in-process" | "pool"): Promise<ModeResult> {
  const parsePool: WorkoutParsePool | undefined = mode === "pool" ? createWorkoutParsePool() : undefined;
  const harness = await openRoutesHarness({
    // PGlite as the agent runs it: on a thread of its own unless PGLITE_THREAD=false.
    driver: process.env.PGLITE_THREAD === "false" ? pgliteDriver : pgliteThreadDriver,
    env: { UPLOAD_LIMIT_BYTES: String(25 * 1024 * 1024), LOG_LEVEL: "warn", REQUEST_TIMEOUT_MS: "120000" },
    ...(parsePool === undefined ? {} : { parsePool }),
  });
  const server = harness.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cookie = await cookieFor(harness, newAccount());
    const prioritised = !process.argv.includes("--clients-at-default-priority");
    const warmUp = !process.argv.includes("--no-warm-up");
    const uploader = spawn({ role: "upload", url, cookie, prioritised, warmUp });
    const prober = spawn({ role: "probe", url, cookie, prioritised, warmUp });
    await Promise.all([uploader.ready, prober.ready]);
    const profile = await CpuProfile.start(process.env.BENCH_CPU_PROFILE);
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    const gcPauses: number[] = [];
    const gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcPauses.push(entry.duration);
    });
    gcObserver.observe({ entryTypes: ["gc"] });
    loopDelay.enable();
    prober.process.send("go");
    uploader.process.send("go");
    const uploads = (await uploader.report) as UploadReport;
    loopDelay.disable();
    gcObserver.disconnect();
    prober.process.send("stop");
    await profile?.stop(`uploadHealth-${mode}`);
    const { latencies, failures } = (await prober.report) as ProbeReport;
    return {
      mode,
      probes: latencies.length,
      failedProbes: failures,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      maxMs: Math.max(...latencies),
      uploadStatuses: uploads.statuses,
      uploadFailures: uploads.failures,
      uploadMiB: uploads.bytes / 1024 / 1024,
      uploadsMs: uploads.ms,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      gcPauses: gcPauses.length,
      gcTotalMs: gcPauses.reduce((sum, ms) => sum + ms, 0),
      gcMaxMs: Math.max(0, ...gcPauses),
      uploaderNiceness: await uploader.niceness,
      proberNiceness: await prober.niceness,
    };
  } finally {
    server.close();
    await harness.close();
    await parsePool?.close();
  }
}

if (process.argv.includes("--child")) {
  await child();
  process.exit(0);
} else {
  const results = [
    ...(process.argv.includes("--pool-only") ? [] : [await measure("in-process")]),
    await measure("pool"),
  ];
  console.log(
    `uploadHealth bench: GET /health every ${PROBE_EVERY_MS} ms while ${UPLOADS} uploads of ${results[0]?.uploadMiB.toFixed(1)} MiB are processed, Node ${process.versions.node}`,
  );
  const rows = [
    [
      "parsing",
      "probes",
      "failed",
      "p50 ms",
      "p99 ms",
      "max ms",
      "upload statuses",
      "all 4 uploads ms",
      "loop delay p99 ms",
      "loop delay max ms",
      "GC pauses / total / max ms",
      "nice: uploader / prober",
    ],
  ];
  for (const r of results) {
    rows.push([
      r.mode,
      String(r.probes),
      String(r.failedProbes),
      r.p50Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.maxMs.toFixed(1),
      r.uploadStatuses.join(" "),
      r.uploadsMs.toFixed(0),
      r.loopDelayP99Ms.toFixed(1),
      r.loopDelayMaxMs.toFixed(1),
      `${r.gcPauses} / ${r.gcTotalMs.toFixed(0)} / ${r.gcMaxMs.toFixed(1)}`,
      `${r.uploaderNiceness} / ${r.proberNiceness}`,
    ]);
  }
  printTable(rows);
  for (const r of results) {
    for (const [status, body] of Object.entries(r.uploadFailures))
      console.log(`${r.mode}: upload ${status}: ${body}`);
  }
  const pool = results.find((r) => r.mode === "pool");
  console.log(`pool: GET /health p99 ${pool?.p99Ms.toFixed(1)} ms (goal ≤ 20 ms)`);
  if (process.argv.includes("--json")) console.log(JSON.stringify({ bench: "uploadHealth", results }));
  process.exit(0);
}
