/**
 * `npm run integrity`: builds the integrity corpus (genuine recordings and every forgery kind), runs it through
 * the real ingestion path over an in-memory store and prints the acceptance and rejection rates per kind, then
 * the integrity statistics of every real device file in ../shared/fixtures/workouts when it exists.
 * Options: `--routes N` (default 10; three recordings each).
 */
import { parseArgs } from "node:util";
import {
  formatReport,
  measureIntegrity,
  measureRealFixtures,
  REAL_FIXTURES,
} from "../test/integrity/measureIntegrity.ts";

const { values } = parseArgs({ options: { routes: { type: "string", default: "10" } } });
const routes = Number(values.routes);
if (!Number.isInteger(routes) || routes < 1 || routes > 100) {
  console.error("--routes must be a whole number from 1 to 100");
  process.exit(2);
}

const report = await measureIntegrity({ routes });
console.log(`Generated corpus (${routes} routes x 3 genuine recordings, every forgery kind from them):\n`);
console.log(formatReport(report));
for (const result of report.results) {
  for (const miss of result.misses) {
    console.log(`  MISS ${result.kind}: ${miss.name} (${miss.reasons.join(", ") || "no reason"})`);
  }
}

const real = await measureRealFixtures();
if (real === undefined) {
  console.log(`\nReal device files: ${REAL_FIXTURES} is absent, skipped.`);
} else {
  const flagged = real.filter(
    (r) => r.reasons.includes("synthetic_track") || r.reasons.includes("replayed_track"),
  );
  console.log(
    `\nReal device files (${real.length} activities): ${flagged.length} taken for a generated or replayed track (false positives: ${((100 * flagged.length) / Math.max(1, real.length)).toFixed(1)} %).\n`,
  );
  console.log("| file | activity | verdict | speed CV | jerk (m) | acc. lag-1 | HR range |");
  console.log("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
  const f = (x: number | undefined, d: number) => (x === undefined ? "-" : x.toFixed(d));
  for (const r of real) {
    const s = r.statistics;
    console.log(
      `| ${r.name} | ${r.index} | ${r.status}${r.reasons.length > 0 ? ` (${r.reasons.join(", ")})` : ""} | ${f(s.speedCv, 3)} | ${f(s.jerkM, 3)} | ${f(s.accelerationLag1, 2)} | ${f(s.heartRateRangeBpm, 0)} |`,
    );
  }
}
process.exit(report.genuineAcceptedShare === 1 && report.forgeryRejectedShare >= 0.99 ? 0 : 1);
