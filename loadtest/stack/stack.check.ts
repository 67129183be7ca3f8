/**
 * Self-test of the load stack and its faults (not part of mocha):
 *
 *   node loadtest/stack/stack.check.ts            short faults (Redis and RPC 5 s)
 *   node loadtest/stack/stack.check.ts --full     the issue's durations (Redis 20 s, RPC 30 s)
 *   node loadtest/stack/stack.check.ts --schedule runFaultSchedule (all faults, short) instead, as the load test does
 *
 * Starts the stack; checks both replicas' /health and /health?deep=1; drives each fault once, checks that deep
 * health went red during the outages that should turn it red, and measures how long every replica takes to be
 * green again ("recovers in N s"); after the reorg, checks that the transactions sent during it are all on the
 * new branch and that every indexer cursor in the database sits on the new branch; closes the stack and checks
 * that no process and no temporary directory is left. Exit code 0 when all held.
 */
import { existsSync } from "node:fs";
import pg from "pg";
import { deepHealth, deepHealthy, type LoadStack, startLoadStack } from "./index.ts";
import { ALL_FAULTS, runFaultSchedule } from "../faults/schedule.ts";
import { jsonRpc } from "./chain.ts";

const full = process.argv.includes("--full");
const outageMs = { redis: full ? 20_000 : 5_000, rpc: full ? 30_000 : 5_000 };
const started = Date.now();
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
const log = (line: string) => console.log(`${stamp()} ${line}`);
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function allGreen(stack: LoadStack): Promise<boolean> {
  return (await Promise.all(stack.agents.map((a) => deepHealthy(a)))).every(Boolean);
}

/** Runs `fault` while sampling deep health; then waits for all green. */
async function drive(
  stack: LoadStack,
  name: string,
  fault: () => Promise<unknown>,
  expectRed: boolean,
): Promise<number | undefined> {
  let sawRed = false;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      if (!(await allGreen(stack))) sawRed = true;
      await sleep(250);
    }
  })();
  const begin = Date.now();
  await fault();
  const actionEnd = Date.now();
  sampling = false;
  await sampler;
  let recoveredAt: number | undefined;
  let lastRed = "";
  while (Date.now() - actionEnd < 120_000) {
    const answers = await Promise.all(stack.agents.map((a) => deepHealth(a)));
    if (answers.every((a) => a.ok)) {
      recoveredAt = Date.now();
      break;
    }
    lastRed = answers
      .flatMap((a, i) => (a.ok ? [] : [`${stack.agents[i]?.name}: ${a.failing.join(", ")}`]))
      .join("; ");
    sawRed = true;
    await sleep(250);
  }
  if (recoveredAt === undefined) log(`${name}: still red: ${lastRed}`);
  const recovery = recoveredAt === undefined ? undefined : recoveredAt - actionEnd;
  log(
    `fault ${name}: ${((actionEnd - begin) / 1000).toFixed(1)} s, ${
      recovery === undefined ? "NOT recovered within 120 s" : `recovers in ${(recovery / 1000).toFixed(1)} s`
    }${sawRed ? " (deep health was red)" : ""}`,
  );
  if (expectRed) check(sawRed, `${name}: deep health noticed the outage`);
  check(recovery !== undefined, `${name}: every replica is green again`);
  // Green is not enough: the indexer must follow the chain again (a new block reaches every cursor).
  await jsonRpc(stack.directRpcUrl, "evm_mine");
  const head = Number(BigInt(await jsonRpc<string>(stack.directRpcUrl, "eth_blockNumber")));
  const followFrom = Date.now();
  let following = false;
  while (!following && Date.now() - followFrom < 60_000) {
    const cursors = await indexerCursors(stack.databaseUrl);
    following = cursors.length > 0 && cursors.every((c) => c.block >= head);
    if (!following) await sleep(250);
  }
  log(
    `${name}: the indexers reach block ${head} ${((Date.now() - followFrom) / 1000).toFixed(1)} s after it was mined`,
  );
  check(following, `${name}: the indexers follow the chain again`);
  return recovery;
}

/** Sends ETH transfers from the deployer through directRpcUrl until stopped; returns their hashes. */
function trickle(stack: LoadStack) {
  const hashes: string[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const hash = await jsonRpc<string>(stack.directRpcUrl, "eth_sendTransaction", [
        { from: stack.accounts.deployer.address, to: stack.accounts.oracle.address, value: "0x1" },
      ]);
      hashes.push(hash);
      await sleep(150);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return hashes;
    },
  };
}

async function indexerCursors(
  databaseUrl: string,
): Promise<{ vault: string; block: number; hash: string }[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ vault: string; block_number: string; block_hash: string }>(
      "select vault, block_number, block_hash from indexer_cursor",
    );
    return rows.map((r) => ({ vault: r.vault, block: Number(r.block_number), hash: r.block_hash }));
  } finally {
    await client.end();
  }
}

const recoveries: Record<string, number | undefined> = {};
let stack: LoadStack | undefined;
const pids: number[] = [];
try {
  stack = await startLoadStack({ log });
  const s = stack;
  for (const agent of stack.agents) {
    const res = await fetch(`${agent.url}/health`);
    check(res.ok, `${agent.name} /health answers 200`);
    check(await deepHealthy(agent), `${agent.name} /health?deep=1 answers 200`);
  }

  if (process.argv.includes("--schedule")) {
    // The schedule as the load test runs it (short outages), instead of the faults one by one.
    const schedule = runFaultSchedule(s, {
      faults: ALL_FAULTS,
      startAfterMs: 0,
      spacingMs: 1_000,
      log,
      durations: { redisMs: 5_000, rpcMs: 5_000, replicaDownMs: 2_000, skewHoldMs: 3_000 },
    });
    const outcome = await schedule.done.then(
      () => "",
      (error: unknown) => (error as Error).message,
    );
    check(outcome === "", `schedule: done resolves ${outcome}`);
    const windows = schedule.windows();
    check(
      windows.map((w) => w.fault).join(",") === ALL_FAULTS.join(","),
      `schedule: one window per fault, in order (${windows.map((w) => w.fault).join(",")})`,
    );
    for (const w of windows) {
      recoveries[w.fault] = w.recoveryMs;
      check(
        w.endMs > w.startMs && w.recoveryMs !== undefined,
        `schedule: ${w.fault} window closed, recovered`,
      );
    }
    for (const pid of Object.values(s.processIds())) if (pid !== undefined) pids.push(pid);
  } else {
    recoveries.redis = await drive(stack, "redis", () => s.faults.redisDown(outageMs.redis), true);
    recoveries.postgres = await drive(stack, "postgres", () => s.faults.postgresRestart(), false);
    const victim = stack.agents.length - 1;
    const oldPid = stack.agents[victim]?.pid();
    recoveries.replica = await drive(stack, "replica", () => s.faults.killReplica(victim, 2_000), false);
    check(stack.agents[victim]?.pid() !== oldPid, "the killed replica runs as a new process");
    recoveries.rpc = await drive(stack, "rpc", () => s.faults.rpcDown(outageMs.rpc), true);

    const traffic = trickle(stack);
    await sleep(500);
    let reorg: Awaited<ReturnType<LoadStack["faults"]["reorg"]>> | undefined;
    recoveries.reorg = await drive(
      stack,
      "reorg",
      async () => {
        reorg = await s.faults.reorg(3);
      },
      false,
    );
    const hashes = await traffic.stop();
    if (reorg !== undefined) {
      const replaced = await jsonRpc<{ hash: string }>(stack.directRpcUrl, "eth_getBlockByNumber", [
        `0x${reorg.oldHead.number.toString(16)}`,
        false,
      ]);
      check(replaced.hash !== reorg.oldHead.hash, `reorg: block ${reorg.oldHead.number} has a new hash`);
      check(reorg.replayErrors.length === 0, `reorg: every recorded call replayed (${reorg.replayed})`);
      let mined = 0;
      for (const hash of hashes) {
        const receipt = await jsonRpc<{ status: string } | null>(
          stack.directRpcUrl,
          "eth_getTransactionReceipt",
          [hash],
        );
        if (receipt?.status === "0x1") mined++;
      }
      check(mined === hashes.length, `reorg: ${mined}/${hashes.length} transfers sent around it are mined`);
      // The indexers follow the new branch: every cursor at or past the new head, on a block of the new chain.
      const followStart = Date.now();
      let onNewBranch = false;
      while (Date.now() - followStart < 60_000 && !onNewBranch) {
        const cursors = await indexerCursors(stack.databaseUrl);
        const checks = await Promise.all(
          cursors.map(async (c) => {
            const block = await jsonRpc<{ hash: string } | null>(s.directRpcUrl, "eth_getBlockByNumber", [
              `0x${c.block.toString(16)}`,
              false,
            ]);
            return c.block >= (reorg?.newHead.number ?? 0) && block?.hash === c.hash;
          }),
        );
        onNewBranch = cursors.length > 0 && checks.every(Boolean);
        if (!onNewBranch) await sleep(250);
      }
      log(
        `reorg: the indexer cursors are on the new branch after ${((Date.now() - followStart) / 1000).toFixed(1)} s`,
      );
      check(onNewBranch, "reorg: every indexer cursor follows the new branch");
      const noticed = () =>
        s.agents.some((a) => a.recentLog().some((line) => line.includes("reorg detected")));
      const noticeStart = Date.now();
      while (!noticed() && Date.now() - noticeStart < 30_000) await sleep(250);
      check(noticed(), "reorg: an indexer logged that it detected the reorg and rewound");
    }

    recoveries.skew = await drive(
      stack,
      "skew",
      async () => {
        await s.faults.skewClock(victim, 2_000);
        const skewedAt = await fetch(`${s.agents[victim]?.url}/health`);
        check(skewedAt.ok, "skew: the skewed replica serves");
        await sleep(3_000);
        await s.faults.skewClock(victim, 0);
      },
      false,
    );

    const rss = stack.peakRss();
    log(
      `peak RSS (MB): ${Object.entries(rss)
        .map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(0)}`)
        .join(", ")}`,
    );
    check(Object.keys(rss).length >= 3 + stack.agents.length, "peak RSS sampled for every process");
    for (const pid of Object.values(stack.processIds())) if (pid !== undefined) pids.push(pid);
    for (const agent of stack.agents) {
      const errors = agent.recentLog().filter((line) => /"level":(50|60)/.test(line));
      log(`${agent.name}: ${errors.length} error lines in its last ${agent.recentLog().length}`);
      for (const line of errors.slice(-8)) log(`  ${line.slice(0, 400)}`);
    }
  }
} catch (error) {
  failures.push(`unexpected: ${(error as Error).stack ?? String(error)}`);
  log(`FAIL ${(error as Error).message}`);
  for (const agent of stack?.agents ?? [])
    log(`${agent.name} last lines:\n${agent.recentLog().slice(-20).join("\n")}`);
} finally {
  await stack?.close();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
await sleep(500);
check(
  pids.length > 0 && pids.every((pid) => !alive(pid)),
  `after close(): none of its ${pids.length} processes is left`,
);
check(stack === undefined || !existsSync(stack.workDir), "after close(): its temporary directory is gone");
log(
  `recovery times: ${Object.entries(recoveries)
    .map(([k, v]) => `${k} ${v === undefined ? "never" : `${(v / 1000).toFixed(1)} s`}`)
    .join(", ")}`,
);
if (failures.length > 0) {
  console.error(`stack.check: ${failures.length} failed:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
log("stack.check: all held");
process.exit(0);
