/**
 * `npm run test:load` (part of `npm test`): the load test's audit rules on hand-made facts, then the CI-sized
 * run — 200 simulated users through the whole journey on two agent replicas with every fault
 * (`node loadtest/run.ts --users 200 --faults all`, docs/reliability.md), which exits 1 on any audit violation.
 * Ends with one plain line: `load: N passed, M failed, K skipped`.
 *
 * The run starts a private PostgreSQL (`initdb`, `pg_ctl`) and Redis (`redis-server`) from the machine's
 * binaries. Without them it is skipped with the reason; under CI=true that is a failure instead.
 */
import { spawnSync } from "node:child_process";
import { findBinary } from "../loadtest/stack/postgres.ts";

function summary(passed: number, failed: number, skipped: number, why = ""): void {
  console.log(`load: ${passed} passed, ${failed} failed, ${skipped} skipped${why === "" ? "" : ` (${why})`}`);
}

const rules = spawnSync(
  process.execPath,
  ["--test", "loadtest/audit/audit.test.ts", "loadtest/audit/blockRanges.test.ts"],
  { stdio: "inherit" },
);
if (rules.status !== 0) {
  summary(0, 1, 0, "the audit's own tests failed");
  process.exit(1);
}

const runnable = (command: string) => spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
const missing = [findBinary("initdb"), findBinary("pg_ctl"), "redis-server"].filter((c) => !runnable(c));
if (missing.length > 0) {
  const why = `no ${missing.join(", ")} on this machine: the load test starts its own PostgreSQL and Redis`;
  if (process.env.CI === "true") {
    summary(1, 1, 0, `${why}; CI=true, so this is a failure`);
    process.exit(1);
  }
  summary(1, 0, 1, `skipped the 200-user run: ${why}`);
  process.exit(0);
}

const run = spawnSync(process.execPath, ["loadtest/run.ts", "--users", "200", "--faults", "all"], {
  stdio: "inherit",
});
const ok = run.status === 0;
summary(ok ? 2 : 1, ok ? 0 : 1, 0, ok ? "" : "the 200-user run with every fault failed its audit (above)");
process.exit(ok ? 0 : 1);
