/**
 * `npm run loadtest` (issue 17): a production-shaped stack (loadtest/stack), simulated users arriving at a rate
 * (loadtest/users), faults on a schedule (loadtest/faults), then an audit against the chain and the database
 * (loadtest/audit) and a report with its chart (loadtest/report). Exits 1 on any audit violation.
 *
 *   node loadtest/run.ts [--users 200] [--faults all|none|redis,postgres,replica,rpc,reorg,skew]
 *     [--speedup 120] [--arrival-sec N] [--out loadtest/report.json] [--chart loadtest/report.svg]
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, defineChain, http } from "viem";
import { hardhat } from "viem/chains";
import { type AuditResult, audit, type Violation } from "./audit/audit.ts";
import { readChainFacts } from "./audit/chainFacts.ts";
import { readDatabaseFacts } from "./audit/databaseFacts.ts";
import {
  ALL_FAULTS,
  type FaultName,
  type FaultWindow,
  plannedDurationMs,
  runFaultSchedule,
} from "./faults/schedule.ts";
import { buildReport } from "./report/buildReport.ts";
import { renderChart } from "./report/chart.ts";
import { startLoadStack } from "./stack/index.ts";
import { arrivalOffsetsMs } from "./users/arrivals.ts";
import { ChainTime } from "./users/chainTime.ts";
import {
  GRACE_SEC,
  type JourneyContext,
  LEAD_SEC,
  PERIOD_SEC,
  runJourney,
  type UserOutcome,
} from "./users/journey.ts";
import { ReplicaClient } from "./users/replicaClient.ts";
import { RequestLog } from "./users/requestLog.ts";
import { watchSettlements } from "./users/settlementWatch.ts";
import { planUser, RULES } from "./users/userPlan.ts";

const ROOT = resolve(import.meta.dirname, "..");
/** The web origin the stack's agents allow (loadtest/stack/README.md). */
const ORIGIN = "http://127.0.0.1:5173";
/** Beneficiary of every simulated commitment: Hardhat account #4 (never a user). */
const BENEFICIARY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
/** Answers this long after a fault window's end still count as inside it (the client's own retry in flight). */
const SLACK_MS = 5_000;

const USAGE =
  "usage: npm run loadtest -- [--users N] [--faults all|none|redis,postgres,replica,rpc,reorg,skew] [--speedup X]\n" +
  "  [--arrival-sec S] [--out FILE] [--chart FILE] [--requests FILE] [--outcomes FILE] [--agent-log FILE] [--log-dir DIR]";

/** Bad flags end the run with one line naming the flag and the usage, never a stack trace. */
function fail(message: string): never {
  process.stderr.write(`loadtest: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values: args } = parseCommandLine();

function parseCommandLine() {
  try {
    return parseLoadtestArgs();
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

function parseLoadtestArgs() {
  return parseArgs({
    options: {
      users: { type: "string", default: "200" },
      faults: { type: "string", default: "all" },
      speedup: { type: "string", default: "120" },
      "arrival-sec": { type: "string" },
      out: { type: "string", default: "loadtest/report.json" },
      chart: { type: "string", default: "loadtest/report.svg" },
      requests: { type: "string", default: "loadtest/requests.ndjson" },
      outcomes: { type: "string", default: "loadtest/users.ndjson" },
      "agent-log": { type: "string", default: "loadtest/agents.log" },
      /** Each replica's whole output goes to `<log-dir>/agent-N.log` (what a replica that exits is read from). */
      "log-dir": { type: "string", default: "loadtest/logs" },
    },
  });
}

const users = Number(args.users);
const speedup = Number(args.speedup);
const faults: FaultName[] =
  args.faults === "all"
    ? [...ALL_FAULTS]
    : args.faults === "none"
      ? []
      : (args.faults.split(",").map((f) => f.trim()) as FaultName[]);
for (const f of faults)
  if (!ALL_FAULTS.includes(f)) fail(`--faults: unknown fault "${f}"; one of ${ALL_FAULTS.join(", ")}`);
if (!Number.isInteger(users) || users < 1)
  fail(`--users must be a positive whole number, got "${args.users}"`);
if (!Number.isFinite(speedup) || speedup <= 0)
  fail(`--speedup must be a positive number, got "${args.speedup}"`);

const t0 = Date.now();
const say = (line: string) =>
  process.stderr.write(`[loadtest +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FAULTS_START_AFTER_MS = 8_000;
const FAULT_SPACING_MS = 5_000;
const userLifeSec = (LEAD_SEC + 4 * PERIOD_SEC) / speedup;
const faultSec =
  faults.length === 0 ? 0 : plannedDurationMs(faults, FAULTS_START_AFTER_MS, FAULT_SPACING_MS) / 1000;
// Users keep arriving (and living) until the last fault is over; 6 arrivals/s at most by default on 2 cores.
const arrivalSec = Number(args["arrival-sec"] ?? Math.max(20, users / 6, faultSec - userLifeSec + 10));

say(
  `${users} users over ${arrivalSec.toFixed(0)} s, faults: ${faults.join(", ") || "none"}, chain time x${speedup}`,
);
const logDir = resolve(ROOT, args["log-dir"]);
rmSync(logDir, { recursive: true, force: true });
mkdirSync(logDir, { recursive: true });
const stack = await startLoadStack({
  log: (line) => say(`stack: ${line}`),
  logDir,
});
const tStack = Date.now();
/** The replicas' last lines (the stack keeps 400 each), beside the requests: what a failed run is read from. */
const writeAgentLogs = () =>
  writeFileSync(
    resolve(ROOT, args["agent-log"]),
    stack.agents.flatMap((a) => a.recentLog().map((line) => `[${a.name}] ${line}`)).join("\n"),
  );
const requestsPath = resolve(ROOT, args.requests);
mkdirSync(dirname(requestsPath), { recursive: true });
const log = new RequestLog(requestsPath);
let exitCode = 1;
try {
  const chain = defineChain({ ...hardhat, id: stack.chainId });
  const publicClient = createPublicClient({
    chain,
    transport: http(stack.directRpcUrl),
    pollingInterval: 250,
  });
  const agentsSeeChain = async () => {
    try {
      const res = await fetch(stack.proxiedRpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
        signal: AbortSignal.timeout(1_000),
      });
      return res.ok;
    } catch {
      return false;
    }
  };
  const time = new ChainTime(stack.chain, speedup, agentsSeeChain);
  await time.start();
  const client = new ReplicaClient(
    stack.agents.map((a) => ({ name: a.name, url: a.url })),
    log,
    ORIGIN,
  );
  const ctx: JourneyContext = {
    client,
    publicClient: publicClient as JourneyContext["publicClient"],
    chain,
    rpcUrl: stack.directRpcUrl,
    time,
    vault: stack.contracts.vault,
    usdc: stack.contracts.usdc,
    beneficiary: BENEFICIARY,
    fund: (address) => stack.chain.setBalance(address, 10n ** 18n),
  };

  // 1. Users arrive (open model) while the faults run.
  const schedule = runFaultSchedule(stack, {
    faults,
    startAfterMs: FAULTS_START_AFTER_MS,
    spacingMs: FAULT_SPACING_MS,
    log: (line) => say(`fault: ${line}`),
  });
  const faultsDone = schedule.done.then(
    () => undefined,
    (error: unknown) => (error as Error).message,
  );
  const offsets = arrivalOffsetsMs(users, arrivalSec);
  const started = Date.now();
  let finished = 0;
  const journeys: Promise<UserOutcome>[] = offsets.map(async (offset, index) => {
    await sleep(started + offset - Date.now());
    const outcome = await runJourney(ctx, planUser(index));
    finished += 1;
    if (finished % Math.max(1, Math.floor(users / 10)) === 0) say(`${finished}/${users} journeys done`);
    return outcome;
  });
  const outcomes = await Promise.all(journeys);
  const faultFailure = await faultsDone;
  writeAgentLogs();
  writeFileSync(
    resolve(ROOT, args.outcomes),
    outcomes.map((o) => JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).join("\n"),
  );
  const windows: FaultWindow[] = schedule.windows();
  const tUsers = Date.now();
  say(`journeys done: ${outcomes.filter((o) => o.failedAt === undefined).length}/${users} finished`);

  // 2. Settle: met milestones get claimed (auto-settle), then time jumps past every deadline for the keeper.
  const totalMilestones = outcomes.reduce(
    (n, o) => n + (o.commitmentId === undefined ? 0 : o.milestones.length),
    0,
  );
  const settlements = watchSettlements(
    publicClient as JourneyContext["publicClient"],
    stack.contracts.vault,
    BigInt(stack.contracts.deploymentBlock),
  );
  const settledCount = async () => {
    const { released, slashed } = await settlements.poll();
    return { released: released.size, slashed: slashed.size };
  };
  // Every milestone the users met, by the answers they got, must be Released before time jumps past its deadline
  // (after it, the agent neither claims it nor lets its keeper slash it: it stays Open, which the audit reports).
  const expectedReleased = new Set(
    outcomes.flatMap((o) =>
      o.commitmentId === undefined
        ? []
        : o.milestones
            .filter((m) => m.accepted >= RULES.perMilestone.minWorkouts)
            .map((m) => `${o.commitmentId}:${m.index}`),
    ),
  );
  // Chain time stops first: at x120 a 2 h grace is a minute of wall time, so with time still running the claims
  // still queued behind the faults' backlog missed their deadlines during this wait (98 of 139 in one run) — a
  // limit of the compression, not of the agent, which has the whole grace in real time.
  await time.stop();
  const settleDeadline = Date.now() + 60_000 + users * 20;
  while (Date.now() < settleDeadline) {
    const { released: done } = await settlements.poll();
    const waiting = [...expectedReleased].filter((k) => !done.has(k));
    if (waiting.length === 0) break;
    say(`waiting for ${waiting.length} met milestones to be claimed (${waiting.slice(0, 5).join(", ")})`);
    await sleep(3_000);
  }
  const lastDeadline = Math.max(
    0,
    ...outcomes.map((o) => (o.start ?? 0) + o.milestones.length * PERIOD_SEC + GRACE_SEC),
  );
  await time.jump(Math.max(0, lastDeadline - time.now()) + 600);
  say(`time moved past every claim deadline; waiting for the keeper (${totalMilestones} milestones)`);
  const slashDeadline = Date.now() + 60_000 + users * 50;
  for (;;) {
    const { released, slashed } = await settledCount();
    if (released + slashed >= totalMilestones || Date.now() > slashDeadline) break;
    await sleep(2_000);
    await stack.chain.increaseTime(1);
  }
  await sleep(3_000); // the agents record the last receipts
  const tSettle = Date.now();

  // 3. Audit.
  const chainFacts = await readChainFacts(publicClient as JourneyContext["publicClient"], {
    vault: stack.contracts.vault,
    operator: stack.accounts.operator.address,
    fromBlock: BigInt(stack.contracts.deploymentBlock),
  });
  const databaseFacts = await readDatabaseFacts(
    stack.databaseUrl,
    outcomes.map((o) => o.address),
  );
  const result: AuditResult = audit({
    users: outcomes,
    failures: log.failures,
    windows,
    chain: chainFacts,
    database: databaseFacts,
    slackMs: SLACK_MS,
  });
  if (faultFailure !== undefined) {
    result.violations.push({ rule: "faults recovered", detail: faultFailure } satisfies Violation);
  }
  const tAudit = Date.now();

  // 4. Report.
  const report = buildReport({
    users: outcomes,
    faults,
    log,
    windows,
    audit: result,
    peakRss: stack.peakRss(),
    durations: {
      total: Math.round((tAudit - t0) / 1000),
      stack: Math.round((tStack - t0) / 1000),
      users: Math.round((tUsers - tStack) / 1000),
      settle: Math.round((tSettle - tUsers) / 1000),
      audit: Math.round((tAudit - tSettle) / 1000),
    },
    chainSpeedup: speedup,
    slackMs: SLACK_MS,
    minWorkouts: RULES.perMilestone.minWorkouts,
  });
  const out = resolve(ROOT, args.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const chartPath = resolve(ROOT, args.chart);
  mkdirSync(dirname(chartPath), { recursive: true });
  writeFileSync(
    chartPath,
    renderChart({
      seconds: log.seconds(),
      windows,
      title: `${users} users, faults: ${faults.join(", ") || "none"} — latency and errors per second`,
    }),
  );
  say(`report: ${join(args.out)}, chart: ${args.chart}, requests: ${args.requests}`);
  say(
    `${log.count} requests, ${report.journeys.finished}/${users} journeys, ${result.checked.milestones} milestones audited, ${result.violations.length} violations`,
  );
  for (const v of result.violations.slice(0, 40)) say(`VIOLATION [${v.rule}] ${v.detail}`);
  if (result.violations.length > 40) say(`... and ${result.violations.length - 40} more (see ${args.out})`);
  exitCode = result.violations.length === 0 ? 0 : 1;
} catch (error) {
  say(`run failed: ${(error as Error).stack ?? String(error)}`);
  writeAgentLogs();
  for (const agent of stack.agents)
    for (const line of agent.recentLog().slice(-20)) say(`${agent.name}: ${line}`);
} finally {
  await log.close();
  await stack.close();
}
say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s, exit ${exitCode}`);
process.exit(exitCode);
