/**
 * One coach scheduler pass over 10,000 active commitments on PGlite in memory (on a thread of its own, as the
 * agent runs it, unless PGLITE_THREAD=false): a third already met (3 workouts
 * done), a third behind (nudged: plan stage, in-app), a third with the running milestone already settled. Prints the
 * pass time and the process RSS before and after.
 * Run from the repository root with Node 22: `node agent/bench/coachSchedulerPass.bench.ts [commitments] [--json]`
 * (default 10,000). `DATABASE_URL=postgres://...` runs it on PostgreSQL instead (give it an empty, throwaway
 * database: the bench seeds it, one multi-row insert per 1,000 commitments). BENCH_CPU_PROFILE=<dir> writes a CPU
 * profile of the first pass.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { ManualClock } from "../src/clock.ts";
import { createInAppChannel } from "../src/coach/channels/inAppChannel.ts";
import type { CoachDependencies } from "../src/coach/coachDependencies.ts";
import { runCoachPass } from "../src/coach/scheduler/runCoachPass.ts";
import { createTokenInfoLookup } from "../src/coach/tokenAmounts.ts";
import { createLogger } from "../src/logger.ts";
import { canonicalizeRules } from "../src/rules/rulesDocument.ts";
import { openDatabase } from "../src/store/database.ts";
import { commitmentsCache, workouts } from "../src/store/schema.ts";
import { createStore } from "../src/store/store.ts";
import { CpuProfile } from "./cpuProfile.ts";

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const json = args.includes("--json");
const pageSizeArg = args.find((a) => a.startsWith("--page-size="));
const pageSize = pageSizeArg === undefined ? undefined : Number(pageSizeArg.slice("--page-size=".length));
const databaseUrl = process.env.DATABASE_URL;
const DAY = 86_400_000;
const weekStart = Date.UTC(2026, 10, 22, 23, 0, 0); // Mon 00:00 Berlin
const now = weekStart + 2 * DAY + 9 * 3_600_000; // Wed 09:00 Berlin: a third of the week gone
const clock = new ManualClock(now);
// PGlite as the agent runs it: on a thread of its own unless PGLITE_THREAD=false.
const database = await openDatabase(
  databaseUrl === undefined
    ? { dataDir: "memory://", pgliteThread: process.env.PGLITE_THREAD !== "false" }
    : { databaseUrl },
);
const store = createStore(database, clock);
const { rulesHash, canonical } = canonicalizeRules({
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
});
await store.rulesDocuments.put(rulesHash, canonical);
const vault = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

// Seeded set-based: one multi-row insert per 1,000 commitments and one per their workouts (the rows
// `commitments.upsert` and `workouts.insert` would write).
const SEED_BATCH = 1_000;
const seedStart = performance.now();
for (let first = 0; first < count; first += SEED_BATCH) {
  const commitmentRows: (typeof commitmentsCache.$inferInsert)[] = [];
  const workoutRows: (typeof workouts.$inferInsert)[] = [];
  const createdAt = new Date(clock.now());
  for (let i = first; i < Math.min(count, first + SEED_BATCH); i += 1) {
    const owner = `0x${randomBytes(20).toString("hex")}`;
    const kind = i % 3;
    commitmentRows.push({
      chainId: 31337,
      vault: vault.toLowerCase(),
      commitmentId: BigInt(i + 1),
      owner,
      token: "0x0000000000000000000000000000000000000000",
      amount: 10n ** 17n,
      start: weekStart / 1000,
      period: 7 * 86_400,
      milestones: 8,
      grace: 86_400,
      beneficiary: "0x000000000000000000000000000000000000dead",
      rulesHash,
      closed: false,
      milestoneStates: kind === 2 ? ["Released", ...new Array(7).fill("Open")] : new Array(8).fill("Open"),
      appeals: [],
      updatedBlock: 1,
      updatedAt: createdAt,
    });
    if (kind !== 0) continue;
    for (let d = 0; d < 3; d += 1) {
      const startTime = new Date(weekStart + d * 16 * 3_600_000 + 8 * 3_600_000);
      workoutRows.push({
        owner,
        source: "fit",
        contentHash: `0x${randomBytes(32).toString("hex")}`,
        sport: "run",
        startTime,
        endTime: new Date(startTime.getTime() + 40 * 60_000),
        durationSec: 2400,
        elapsedSec: 2400,
        verdictStatus: "accepted",
        verdictReasons: [],
        createdAt,
      });
    }
  }
  await database.db.insert(commitmentsCache).values(commitmentRows);
  if (workoutRows.length > 0) await database.db.insert(workouts).values(workoutRows);
}
const seedMs = performance.now() - seedStart;

const deps: CoachDependencies = {
  store,
  clock,
  logger: createLogger({ level: "silent" }),
  chain: { chainId: 31337, vault },
  tokens: createTokenInfoLookup(),
  channels: { inApp: createInAppChannel() },
  calendar: { policy: { timeoutMs: 1000, maxBytes: 1024, maxRedirects: 0 }, refreshMs: 3_600_000 },
};
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const rssBefore = process.memoryUsage().rss;
const profile = await CpuProfile.start(process.env.BENCH_CPU_PROFILE);
const passParameters = { maxCommitments: count + 1, ...(pageSize === undefined ? {} : { pageSize }) };
const cpuBefore = process.cpuUsage();
const start = performance.now();
const result = await runCoachPass(deps, passParameters);
const passMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
const passCpuMs = (cpu.user + cpu.system) / 1000;
await profile?.stop("coachPass");
const rssAfter = process.memoryUsage().rss;
console.log(
  `coach scheduler pass, ${databaseUrl === undefined ? "PGlite in memory" : "PostgreSQL"}, Node ${process.versions.node} (seeding took ${(seedMs / 1000).toFixed(1)} s; load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(" ")})`,
);
console.log(
  `${result.commitments} commitments: ${(passMs / 1000).toFixed(2)} s (${((passMs * 1000) / result.commitments).toFixed(0)} µs each; this process's CPU ${(passCpuMs / 1000).toFixed(2)} s${databaseUrl === undefined ? ", PGlite included" : ""}); outcomes ${JSON.stringify(result.outcomes)}; nudges ${JSON.stringify(result.nudges)}; errors ${result.errors}`,
);
console.log(`RSS before pass ${mib(rssBefore)} MiB, after ${mib(rssAfter)} MiB`);
const second = performance.now();
const again = await runCoachPass(deps, passParameters);
const secondMs = performance.now() - second;
console.log(
  `second pass (everything already nudged, deduped): ${(secondMs / 1000).toFixed(2)} s; nudges ${JSON.stringify(again.nudges)}`,
);
if (json) {
  console.log(
    JSON.stringify({
      bench: "coachSchedulerPass",
      driver: databaseUrl === undefined ? "pglite" : "postgres",
      commitments: result.commitments,
      passMs,
      passCpuMs,
      secondPassMs: secondMs,
      seedMs,
      loadAverage: loadavg(),
      rssBeforeMiB: rssBefore / 1024 / 1024,
      rssAfterMiB: rssAfter / 1024 / 1024,
      outcomes: result.outcomes,
      nudges: result.nudges,
      errors: result.errors,
    }),
  );
}
await store.close();
