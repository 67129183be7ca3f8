/**
 * HTTP throughput of the agent next to a bare Express 5 hello-world, in one run, plus attestations signed per
 * second. Run from the repository root with Node 22: `node agent/bench/http.bench.ts`
 * (BENCH_SECONDS per target, default 10; BENCH_CONNECTIONS, default 10; BENCH_ROUNDS, default 3).
 *
 * Targets, one after the other, each after a 1-s warm-up:
 * - `bare`: `app.get("/", (req, res) => res.json({ ok: true }))` on Express 5;
 * - `GET /api/auth/session`: the same stack with a route that only reads the session (what the middleware costs);
 * - `GET /api/commitments/1`: the agent's full middleware stack (createApp: metrics, request log, timeout,
 *   security headers, CORS, rate limits, JSON body, no-store, the session lookup) with the commitment routes, for
 *   a signed-in owner (SIWE session cookie) of a seeded commitment with rules; sessions and nonces live in the
 *   store, as in a deployment without Redis, behind the session cache assembleAgent puts in front of them
 *   (`SESSION_CACHE_SECONDS`, default 2; 0 measures a store read per request), and views behind the view cache
 *   fed by the store's changes (`COMMITMENT_VIEW_CACHE_SECONDS`, default 2; 0 builds every answer);
 * - `POST /api/workouts`: manual logs, each one a distinct 1-minute run (start times one minute apart) that is
 *   accepted and counts toward the commitment (rules with `evidence: "any"`).
 * The store is PGlite in memory (on a thread of its own as the agent runs it; PGLITE_THREAD=false keeps it on the
 * event loop's thread), or PostgreSQL at DATABASE_URL when it is set (in a schema of its own,
 * `http_bench_<pid>`, dropped at the end; use a throwaway database); the VaultReader is the test harness's
 * in-memory one; request logs go to
 * /dev/null at level info (production writes the same lines to stdout). Rate limits are raised so the bench
 * measures throughput: any non-2xx answer fails the run.
 *
 * The load generator (autocannon) runs in a child process, so it has its own core and the parent's RSS is the
 * servers' alone (sampled every 100 ms during each target).
 *
 * BENCH_CPU_PROFILE=<dir>: writes a V8 CPU profile of the server process per target (`<key>.cpuprofile`, load
 * phase only), to open in Chrome DevTools or speedscope.
 *
 * BENCH_STATEMENTS=1 (with PGLITE_THREAD=false on PGlite: the count hooks the PGlite on this thread): counts the SQL statements the database runs per request of each target (on PGlite the
 * extended-protocol Parse and Bind and simple-protocol Query messages, on PostgreSQL node-postgres' queries; BEGIN
 * and COMMIT are statements too) and prints them beside the table;
 * BENCH_STATEMENTS=log also prints the statements of one request of each target before the load, and after each
 * target the statements its load ran, with how many times each ran per request and its mean wall time in PGlite
 * (PGlite runs on this thread; under load the time includes other requests' work queued behind it).
 *
 * BENCH_TRACING=compare: runs the whole bench twice, in child processes, with tracing off and then on
 * (`--import ./agent/bench/tracingPreload.ts`, every span exported over OTLP/HTTP to a sink here that counts
 * them), and prints req/s side by side per target.
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { milestoneAttestationTypedData } from "@resolution-autopilot/vocabulary";
import autocannon from "autocannon";
import express from "express";
import pg from "pg";
import { pino } from "pino";
import type { Hex } from "viem";
import { signMilestoneAttestation } from "../src/attestation/milestoneAttestation.ts";
import { privateKeySigner } from "../src/attestation/signer.ts";
import { cachedSessionStore } from "../src/auth/sessionCache.ts";
import { ManualClock } from "../src/clock.ts";
import { loadConfig } from "../src/config.ts";
import { commitmentsRouter } from "../src/http/commitmentsRouter.ts";
import { createApp } from "../src/http/createApp.ts";
import { workoutsRouter } from "../src/http/workoutsRouter.ts";
import { createRateLimits } from "../src/limits/rateLimits.ts";
import { createLogger } from "../src/logger.ts";
import { createMetrics } from "../src/metrics.ts";
import type { RulesDocument } from "../src/rules/rulesDocument.ts";
import { createCommitmentViewCache } from "../src/services/commitmentViewCache.ts";
import { openStore } from "../src/store/openStore.ts";
import {
  CHAIN,
  DAY,
  MemoryVaultReader,
  MONDAY,
  newAccount,
  ORACLE_KEY,
  onChainCommitment,
  putRules,
  seedCommitment,
} from "../test/http/routesHarness.ts";
import { signIn } from "../test/http/signIn.ts";
import { TEST_ENV } from "../test/http/testApp.ts";
import { CpuProfile } from "./cpuProfile.ts";
import { printTable } from "./printTable.ts";

/** What the parent asks the load-generating child to run. */
interface LoadSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  seconds: number;
  connections: number;
  /** POST /api/workouts: manual logs of one minute, the n-th starting at `firstStartMs + n` minutes. */
  manual?: { firstStartMs: number; slots: number };
}

interface LoadResult {
  requestsPerSecond: number;
  latencyMean: number;
  p50: number;
  p99: number;
  total: number;
  /** Requests answered during the warm-up (which the server's CPU time covers too). */
  warmUpTotal: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** POST answers whose workout counted toward commitment 1 / was a duplicate / was rejected. */
  counted: number;
  duplicates: number;
  rejected: number;
}

const MINUTE = 60_000;
/** On PostgreSQL (DATABASE_URL): the schema this run's tables live in, dropped at the end. */
const BENCH_SCHEMA = `http_bench_${process.pid}`;

/** DATABASE_URL: drops this run's schema. */
async function dropBenchSchema(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${BENCH_SCHEMA}" cascade`);
  } finally {
    await client.end();
  }
}
const WARM_UP_SECONDS = 1;

/** BENCH_STATEMENTS: every SQL statement PGlite runs in this process, counted (and their text kept on `log`). */
const statements = {
  count: 0,
  texts: [] as string[],
  keep: 0,
  byText: new Map<string, number>(),
  /** Wall time of each text's calls into PGlite (PGlite runs on this thread, so it is CPU time), ms. */
  msByText: new Map<string, number>(),
};

/** Named statements PGlite was asked to prepare (Parse with a name), by name: what a later Bind runs. */
const preparedTexts = new Map<string, string>();

/**
 * The statement a PGlite message runs: a Query ('Q': type, length, text), an unnamed Parse ('P': type, length,
 * name, text), or a Bind ('B': type, length, portal, statement) of a named statement; a named Parse only
 * prepares (run by its Binds).
 */
function statementOf(message: Uint8Array): string | undefined {
  const decoder = new TextDecoder();
  const cstring = (at: number) => decoder.decode(message.subarray(at, message.indexOf(0, at)));
  // A message may hold several (Close + Bind + Execute + Sync): walk them by their lengths.
  let found: string | undefined;
  for (let at = 0; at + 5 <= message.length; ) {
    const type = message[at];
    const length = new DataView(message.buffer, message.byteOffset + at + 1, 4).getInt32(0);
    const body = at + 5;
    if (type === 0x51) found = cstring(body);
    if (type === 0x50) {
      const name = cstring(body);
      const text = cstring(message.indexOf(0, body) + 1);
      if (name === "") found = text;
      else preparedTexts.set(name, text);
    }
    if (type === 0x42) {
      const statement = cstring(message.indexOf(0, body) + 1);
      if (statement !== "") found = preparedTexts.get(statement) ?? statement;
    }
    at += 1 + length;
  }
  return found;
}

function countStatement(text: string): void {
  statements.count += 1;
  if (statements.keep > 0) statements.texts.push(text);
  statements.byText.set(text, (statements.byText.get(text) ?? 0) + 1);
}

function countStatements(): void {
  const proto = PGlite.prototype as unknown as {
    execProtocolStream: (message: Uint8Array, ...rest: unknown[]) => Promise<unknown>;
  };
  const original = proto.execProtocolStream;
  proto.execProtocolStream = function (this: unknown, message, ...rest) {
    const text = statementOf(message);
    if (text !== undefined) countStatement(text);
    const start = performance.now();
    const done = original.call(this, message, ...rest);
    if (text === undefined) return done;
    return done.then((value) => {
      statements.msByText.set(text, (statements.msByText.get(text) ?? 0) + performance.now() - start);
      return value;
    });
  };
  const client = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const originalQuery = client.query;
  client.query = function (this: unknown, ...args: unknown[]) {
    const [first] = args;
    const text = typeof first === "string" ? first : (first as { text?: unknown } | undefined)?.text;
    if (typeof text === "string") countStatement(text);
    return originalQuery.apply(this, args);
  };
}

/** Child side: runs autocannon (warm-up, then the measured run) and sends the figures back. */
async function generateLoad(spec: LoadSpec): Promise<LoadResult> {
  let slot = 0;
  let counted = 0;
  let duplicates = 0;
  let rejected = 0;
  const request: autocannon.Request = { method: spec.method, headers: spec.headers };
  const { manual } = spec;
  if (manual !== undefined) {
    request.setupRequest = (req) => {
      const startTime = new Date(manual.firstStartMs + (slot % manual.slots) * MINUTE).toISOString();
      slot += 1;
      return { ...req, body: JSON.stringify({ sport: "run", startTime, durationMin: 1 }) };
    };
    request.onResponse = (_status, body) => {
      if (body.includes('"code":"duplicate"')) duplicates += 1;
      else if (body.includes('"status":"rejected"')) rejected += 1;
      else if (body.includes('"countsFor":[{"commitmentId":"1"')) counted += 1;
    };
  }
  const options = { url: spec.url, connections: spec.connections, requests: [request] };
  const warmUp = await autocannon({ ...options, duration: WARM_UP_SECONDS });
  [counted, duplicates, rejected] = [0, 0, 0];
  const result = await autocannon({ ...options, duration: spec.seconds });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = Number(count);
  }
  return {
    requestsPerSecond: result.requests.average,
    latencyMean: result.latency.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    warmUpTotal: warmUp.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    counted,
    duplicates,
    rejected,
  };
}

if (process.argv[2] === "--load") {
  const spec = JSON.parse(process.argv[3] ?? "{}") as LoadSpec;
  const result = await generateLoad(spec);
  process.send?.(result, () => process.exit(0));
} else if (process.env.BENCH_TRACING === "compare") {
  await compareTracing();
} else {
  await main();
}

/** Runs the bench with tracing off, then on, and prints their medians side by side. */
async function compareTracing(): Promise<void> {
  const { createServer } = await import("node:http");
  const { mkdtempSync, readFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  let spans = 0;
  let exports = 0;
  const sink = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      exports++;
      spans += (body.match(/"spanId"/g) ?? []).length;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  sink.listen(0, "127.0.0.1");
  await once(sink, "listening");
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), "http-bench-"));
  const here = fileURLToPath(import.meta.url);
  const runBench = async (
    tracing: "off" | "on",
  ): Promise<Record<string, { name: string; requestsPerSecond: number }>> => {
    const file = join(dir, `${tracing}.json`);
    const execArgv =
      tracing === "on" ? ["--import", fileURLToPath(new URL("./tracingPreload.ts", import.meta.url))] : [];
    const child = fork(here, [], {
      execArgv,
      env: {
        ...process.env,
        BENCH_TRACING: tracing,
        BENCH_RESULTS_FILE: file,
        BENCH_OTLP_ENDPOINT: endpoint,
      },
      stdio: "inherit",
    });
    const [code] = (await once(child, "exit")) as [number | null];
    if (code !== 0) throw new Error(`the bench with tracing ${tracing} exited with ${code}`);
    return JSON.parse(readFileSync(file, "utf8"));
  };
  console.log("== tracing off");
  const off = await runBench("off");
  console.log("\n== tracing on (OTLP/HTTP to a local sink)");
  const on = await runBench("on");
  sink.close();
  console.log(
    `\ntracing on/off, median req/s per target; ${spans} spans received in ${exports} OTLP exports`,
  );
  const rows: string[][] = [["target", "req/s tracing off", "req/s tracing on", "on / off"]];
  for (const [key, result] of Object.entries(off)) {
    const traced = on[key];
    rows.push([
      result.name,
      result.requestsPerSecond.toFixed(0),
      traced === undefined ? "-" : traced.requestsPerSecond.toFixed(0),
      traced === undefined
        ? "-"
        : `${((traced.requestsPerSecond / result.requestsPerSecond) * 100).toFixed(1)} %`,
    ]);
  }
  printTable(rows);
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

/** Parent side: forks the load generator and samples the RSS every 100 ms while it runs. */
async function runTarget(
  key: string,
  spec: LoadSpec,
): Promise<LoadResult & { peakRss: number; cpuMs: number; statements: number }> {
  const profile = await CpuProfile.start(process.env.BENCH_CPU_PROFILE);
  const statementsBefore = statements.count;
  statements.byText.clear();
  statements.msByText.clear();
  let peakRss = process.memoryUsage().rss;
  const cpuStart = process.cpuUsage();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--load", JSON.stringify(spec)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    const result = await new Promise<LoadResult>((resolve, reject) => {
      child.once("message", (message) => resolve(message as LoadResult));
      child.once("exit", (code) => reject(new Error(`load generator exited with ${code} before reporting`)));
    });
    const cpu = process.cpuUsage(cpuStart);
    if (process.env.BENCH_STATEMENTS === "log") printStatementTally(key, result.total + result.warmUpTotal);
    return {
      ...result,
      peakRss: Math.max(peakRss, process.memoryUsage().rss),
      cpuMs: (cpu.user + cpu.system) / 1000,
      statements: statements.count - statementsBefore,
    };
  } finally {
    clearInterval(sampler);
    if (child.exitCode === null) child.kill();
    await profile?.stop(key);
  }
}

type Measured = LoadResult & { name: string; peakRss: number; cpuMs: number; statements: number };

/** The run with the median req/s (the lower middle one for an even count). */
function medianRun(runs: readonly Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error("no runs");
  return median;
}

async function listen(app: express.Express): Promise<{ server: Server; origin: string }> {
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

async function perSecond(seconds: number, task: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i += 1) await task(i);
  const start = performance.now();
  let done = 0;
  while (performance.now() - start < seconds * 1000) {
    await task(done);
    done += 1;
  }
  return done / ((performance.now() - start) / 1000);
}

/** BENCH_* settings: seconds per target, interleaved rounds, connections, and which targets (all by default). */
interface BenchSettings {
  seconds: number;
  rounds: number;
  connections: number;
  /** BENCH_ONLY=get (or bare,get,post): run only these targets, e.g. under --cpu-prof. */
  only: string[] | undefined;
}

function benchSettings(): BenchSettings {
  return {
    seconds: Number(process.env.BENCH_SECONDS ?? 10),
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
    only: process.env.BENCH_ONLY?.split(","),
  };
}

/** The bare baseline: Express 5 answering `{ ok: true }`. */
function startBareServer(): Promise<Listening> {
  const bareApp = express();
  bareApp.get("/", (_req, res) => {
    res.json({ ok: true });
  });
  return listen(bareApp);
}

type Listening = Awaited<ReturnType<typeof listen>>;

/** The agent's stack and what the bench seeds and measures through it. */
interface AgentStack {
  server: Listening;
  store: Awaited<ReturnType<typeof openStore>>;
  clock: ManualClock;
  app: express.Express;
  /** The vault as the commitment routes read it (in memory). */
  reader: MemoryVaultReader;
}

/**
 * The agent's stack, wired as assembleAgent does without Redis (sessions and nonces in the store), with the
 * commitment and workout routes; the clock stands at the last day of a `period`-long first window.
 */
async function startAgentStack(period: number): Promise<AgentStack> {
  const clock = new ManualClock((MONDAY + period - DAY) * 1000);
  const config = loadConfig({
    ...TEST_ENV,
    LOG_LEVEL: "info",
    RATE_LIMIT_API_POINTS: "1000000",
    RATE_LIMIT_AGENT_POINTS: "1000000",
    RATE_LIMIT_UPLOAD_POINTS: "1000000",
    SESSION_CACHE_SECONDS: process.env.SESSION_CACHE_SECONDS,
    COMMITMENT_VIEW_CACHE_SECONDS: process.env.COMMITMENT_VIEW_CACHE_SECONDS,
    PGLITE_THREAD: process.env.PGLITE_THREAD,
  });
  const databaseUrl = process.env.DATABASE_URL;
  const store = await openStore({
    ...(databaseUrl !== undefined && databaseUrl !== ""
      ? { databaseUrl, schema: BENCH_SCHEMA }
      : { dataDir: "memory://", pgliteThread: config.pgliteThread }),
    clock,
  });
  const logger = createLogger({
    level: config.logLevel,
    destination: pino.destination({ dest: "/dev/null", sync: true }),
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const reader = new MemoryVaultReader();
  const common = { store, clock, metrics, logger, chain: CHAIN };
  // As assembleAgent wires it: the view cache forgets what the store's change feed reports.
  const views =
    config.commitmentViewCacheMs > 0
      ? createCommitmentViewCache({ clock, ttlMs: config.commitmentViewCacheMs })
      : undefined;
  if (views !== undefined) store.changes.subscribe(views.invalidate);
  const app = createApp({
    config,
    clock,
    logger,
    metrics,
    sessions:
      config.session.cacheMs > 0
        ? cachedSessionStore({ sessions: store.sessions, clock, ttlMs: config.session.cacheMs })
        : store.sessions,
    nonces: store.siweNonces,
    limiter: createRateLimits({
      rules: config.rateLimits,
      keyPrefix: config.redisKeyPrefix,
      logger,
      metrics,
    }),
    store,
    health: { checks: { store: () => store.ping() } },
    routes: [
      { path: "/workouts", router: workoutsRouter({ ...common, config }) },
      {
        path: "/commitments",
        router: commitmentsRouter({ ...common, signer: privateKeySigner(ORACLE_KEY), reader, views }),
      },
    ],
  });
  return { server: await listen(app), store, clock, app, reader };
}

/** A signed-in owner of commitment 1 with three workouts logged, and where the POST target logs its own. */
interface SeededOwner {
  headers: Record<string, string>;
  rulesHash: Hex;
  /** POST /api/workouts: the n-th manual log starts at `firstStartMs + n` minutes, for `slots` minutes. */
  manual: { firstStartMs: number; slots: number };
}

/**
 * Seeds commitment 1 (rules with `evidence: "any"`) for a new account, signs it in, and logs three workouts before
 * the GET, so its progress has something to show (the POST target logs after them); checks the GET shows them.
 */
async function seedOwner(
  { server, store, clock, app, reader }: AgentStack,
  period: number,
): Promise<SeededOwner> {
  const account = newAccount();
  const rules: RulesDocument = {
    version: 1,
    timezone: "Europe/Berlin",
    perMilestone: { minWorkouts: 3, minMinutes: 1, activities: ["run", "ride", "strength"] },
    evidence: "any",
  };
  const terms = { owner: account.address, commitmentId: 1n, rulesHash: await putRules(store, rules), period };
  await seedCommitment(store, terms);
  reader.commitments.set(1n, onChainCommitment(terms));
  const cookie = await signIn({ app, clock, account });
  const headers = { cookie, "content-type": "application/json" };
  const firstStartMs = MONDAY * 1000;
  const slots = (period - 2 * DAY) / 60;
  for (let i = 0; i < 3; i += 1) {
    const res = await fetch(`${server.origin}/api/workouts`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        sport: "run",
        startTime: new Date(firstStartMs + (slots + i) * MINUTE).toISOString(),
        durationMin: 1,
      }),
    });
    const text = await res.text();
    if (res.status !== 201 || !text.includes('"countsFor":[{"commitmentId":"1"')) {
      throw new Error(`seeding a workout: ${res.status} ${text}`);
    }
  }
  const check = await fetch(`${server.origin}/api/commitments/1`, { headers });
  const view = (await check.json()) as { milestones?: { progress: { done: number } | null }[] };
  if (check.status !== 200 || view.milestones?.[0]?.progress?.done !== 3) {
    throw new Error(`GET /api/commitments/1: ${check.status} ${JSON.stringify(view)}`);
  }
  return { headers, rulesHash: terms.rulesHash, manual: { firstStartMs, slots } };
}

interface Target {
  key: string;
  name: string;
  spec: LoadSpec;
}

function loadTargets(
  settings: BenchSettings,
  bare: Listening,
  full: Listening,
  { headers, manual }: SeededOwner,
): Target[] {
  const load = { seconds: settings.seconds, connections: settings.connections };
  return [
    {
      key: "bare",
      name: "bare Express 5, GET /",
      spec: { ...load, url: `${bare.origin}/`, method: "GET", headers: {} },
    },
    {
      key: "session",
      name: "agent, GET /api/auth/session",
      spec: { ...load, url: `${full.origin}/api/auth/session`, method: "GET", headers },
    },
    {
      key: "get",
      name: "agent, GET /api/commitments/1",
      spec: { ...load, url: `${full.origin}/api/commitments/1`, method: "GET", headers },
    },
    {
      key: "post",
      name: "agent, POST /api/workouts",
      spec: { ...load, url: `${full.origin}/api/workouts`, method: "POST", headers, manual },
    },
  ];
}

/**
 * The GET targets run in interleaved rounds (bare, session, get, bare, ...), so a slower stretch of a shared
 * machine hits every target alike; each ratio is taken within a round and the median round is reported. The
 * POST runs once, last (it adds workouts the GETs would otherwise see change under them).
 */
async function runTargets(targets: readonly Target[], rounds: number): Promise<Map<string, Measured[]>> {
  const results = new Map<string, Measured[]>();
  const record = (key: string, name: string, result: Omit<Measured, "name">) => {
    results.set(key, [...(results.get(key) ?? []), { name, ...result }]);
  };
  for (let round = 1; round <= rounds; round += 1) {
    for (const { key, name, spec } of targets) {
      if (key !== "post") record(key, name, await runTarget(`${key}-round${round}`, spec));
    }
  }
  for (const { key, name, spec } of targets) {
    if (key === "post") record(key, name, await runTarget(key, spec));
  }
  return results;
}

/** BENCH_STATEMENTS=log: the statements a target's load ran, per request, most frequent first. */
function printStatementTally(key: string, requests: number): void {
  console.log(`-- ${key}: statements per request under load`);
  for (const [text, count] of [...statements.byText].sort((a, b) => b[1] - a[1])) {
    const micros = ((statements.msByText.get(text) ?? 0) * 1000) / count;
    console.log(
      `   ${(count / requests).toFixed(2)}  ${micros.toFixed(0).padStart(5)} µs  ${text.replace(/\s+/g, " ").slice(0, 110)}`,
    );
  }
}

/** BENCH_STATEMENTS=log: one request of each target, one after the other, and the SQL it ran. */
async function logStatements(targets: readonly Target[], { manual }: SeededOwner): Promise<void> {
  for (const { name, spec } of targets) {
    statements.texts = [];
    statements.keep = 1;
    const body =
      spec.manual === undefined
        ? undefined
        : JSON.stringify({
            sport: "run",
            startTime: new Date(manual.firstStartMs + (manual.slots + 3) * MINUTE).toISOString(),
            durationMin: 1,
          });
    const res = await fetch(spec.url, { method: spec.method, headers: spec.headers, body });
    await res.text();
    statements.keep = 0;
    console.log(`-- ${name}: ${res.status}, ${statements.texts.length} statements`);
    for (const text of statements.texts) console.log(`   ${text.replace(/\s+/g, " ")}`);
  }
}

/** Attestations per second: the EIP-712 signature alone, and the service's sign + recover check (2 s each). */
async function measureAttestations(rulesHash: Hex): Promise<{ signed: number; checked: number }> {
  const signer = privateKeySigner(ORACLE_KEY);
  const attestation = (i: number) => ({
    chainId: CHAIN.chainId,
    vault: CHAIN.vault,
    commitmentId: BigInt(i + 1),
    milestoneIndex: 0n,
    rulesHash,
    evidenceHash: `0x${(i + 1).toString(16).padStart(64, "0")}` as const,
    validUntil: 2_000_000_000n,
  });
  const signed = await perSecond(2, (i) =>
    signer.signTypedData(milestoneAttestationTypedData(attestation(i))),
  );
  const checked = await perSecond(2, (i) => signMilestoneAttestation(signer, attestation(i)));
  return { signed, checked };
}

/** Each target's median round as a table row. */
function printResultsTable(results: ReadonlyMap<string, Measured[]>): void {
  const rows: string[][] = [
    [
      "target",
      "req/s",
      "req/s min–max",
      "latency mean ms",
      "p50 ms",
      "p99 ms",
      "requests",
      "non-2xx",
      "errors",
      "server CPU µs/req",
      "peak RSS MiB",
      ...(process.env.BENCH_STATEMENTS ? ["SQL statements/req"] : []),
    ],
  ];
  for (const runs of results.values()) {
    const r = medianRun(runs);
    const rates = runs.map((run) => run.requestsPerSecond);
    rows.push([
      r.name,
      r.requestsPerSecond.toFixed(0),
      `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}`,
      r.latencyMean.toFixed(2),
      r.p50.toFixed(0),
      r.p99.toFixed(0),
      String(r.total),
      String(r.non2xx),
      String(r.errors + r.timeouts),
      ((r.cpuMs * 1000) / (r.total + r.warmUpTotal)).toFixed(0),
      mib(Math.max(...runs.map((run) => run.peakRss))),
      ...(process.env.BENCH_STATEMENTS ? [(r.statements / (r.total + r.warmUpTotal)).toFixed(2)] : []),
    ]);
  }
  printTable(rows);
}

/** A target's req/s over the bare baseline's in the same round: the median and every round's. */
function ratioToBare(
  results: ReadonlyMap<string, Measured[]>,
  key: string,
): { median: number; rounds: string } | undefined {
  const bareRuns = results.get("bare");
  const runs = results.get(key);
  if (bareRuns === undefined || runs === undefined) return undefined;
  const ratios = runs.map((run, i) => run.requestsPerSecond / (bareRuns[i]?.requestsPerSecond ?? Number.NaN));
  const sorted = [...ratios].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN,
    rounds: ratios.map((ratio) => `${(ratio * 100).toFixed(1)} %`).join(", "),
  };
}

/** The lines under the table: the ratios to bare, the POST's answers. */
function printRatios(results: ReadonlyMap<string, Measured[]>): void {
  const session = ratioToBare(results, "session");
  if (session !== undefined) {
    console.log(
      `middleware stack (GET /api/auth/session) / bare: median ${(session.median * 100).toFixed(1)} % ` +
        `(rounds: ${session.rounds})`,
    );
  }
  const get = ratioToBare(results, "get");
  if (get !== undefined) {
    console.log(
      `full-stack GET / bare: median ${(get.median * 100).toFixed(1)} % (rounds: ${get.rounds}; ` +
        `goal >= 60 %: ${get.median >= 0.6 ? "met" : "NOT met"})`,
    );
  }
  const postResult = results.get("post")?.[0];
  if (postResult !== undefined) {
    console.log(
      `POST answers: ${postResult.counted} counted toward commitment 1, ${postResult.duplicates} duplicates, ` +
        `${postResult.rejected} rejected`,
    );
  }
}

/** BENCH_RESULTS_FILE: each target's median req/s as JSON (what BENCH_TRACING=compare reads). */
async function writeMedians(results: ReadonlyMap<string, Measured[]>, file: string): Promise<void> {
  const medians = Object.fromEntries(
    [...results.entries()].map(([key, runs]) => {
      const r = medianRun(runs);
      return [key, { name: r.name, requestsPerSecond: r.requestsPerSecond }];
    }),
  );
  await writeFile(file, JSON.stringify(medians));
}

/** Any non-2xx answer, error or timeout (or a run without requests) fails the bench. */
function exitOnFailures(results: ReadonlyMap<string, Measured[]>): void {
  const failed = [...results.values()]
    .flat()
    .filter((r) => r.non2xx + r.errors + r.timeouts > 0 || r.total === 0);
  if (failed.length === 0) return;
  for (const r of failed) {
    console.error(
      `FAILED ${r.name}: ${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`,
    );
  }
  process.exit(1);
}

async function main(): Promise<void> {
  const settings = benchSettings();
  const rssAtStart = process.memoryUsage().rss;
  const bare = await startBareServer();
  // A 28-day window so a run has ~38,000 distinct one-minute slots before "now" to log workouts into.
  const period = 28 * DAY;
  if (process.env.BENCH_STATEMENTS) countStatements();
  const agent = await startAgentStack(period);
  const owner = await seedOwner(agent, period);
  const rssIdle = process.memoryUsage().rss;
  const targets = loadTargets(settings, bare, agent.server, owner).filter(
    ({ key }) => settings.only === undefined || settings.only.includes(key),
  );
  if (process.env.BENCH_STATEMENTS === "log") await logStatements(targets, owner);
  const results = await runTargets(targets, settings.rounds);
  for (const { server } of [bare, agent.server]) server.close();
  for (const { server } of [bare, agent.server]) server.closeAllConnections();
  await agent.store.close();
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl !== undefined && databaseUrl !== "") await dropBenchSchema(databaseUrl);
  const attestations = await measureAttestations(owner.rulesHash);

  console.log(
    `HTTP bench: ${settings.seconds} s per target after a ${WARM_UP_SECONDS}-s warm-up, ${settings.connections} connections, ` +
      `${settings.rounds} interleaved rounds of the GETs (the POST once), autocannon in a child process, ` +
      `Node ${process.versions.node}; each row is the target's median round by req/s; store: ${agent.store.driver}${agent.store.driver === "pglite" ? (agent.store.transactionOnDatabaseThread !== undefined ? " on its own thread" : " on the event loop's thread") : ""}`,
  );
  printResultsTable(results);
  printRatios(results);
  console.log(
    `RSS: ${mib(rssAtStart)} MiB at start, ${mib(rssIdle)} MiB idle before load (servers up, store seeded)`,
  );
  console.log(
    `attestations: ${attestations.signed.toFixed(0)} signatures/s (privateKeySigner.signTypedData), ` +
      `${attestations.checked.toFixed(0)}/s with the recover check (signMilestoneAttestation), 2 s each`,
  );
  const resultsFile = process.env.BENCH_RESULTS_FILE;
  if (resultsFile !== undefined) await writeMedians(results, resultsFile);
  exitOnFailures(results);
}
