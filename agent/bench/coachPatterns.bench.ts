/**
 * detectPatterns over 5 years of daily workouts (1,826), the pure function the coach's tool runs.
 * Run from the repository root with Node 22: `node agent/bench/coachPatterns.bench.ts [runs]` (default 30).
 */
import { detectPatterns } from "../src/coach/patterns/detectPatterns.ts";
import type { MilestoneRules } from "../src/workouts/evaluateForMilestone.ts";

const runs = Number(process.argv[2] ?? 30);
const DAY = 86_400_000;
const now = Date.parse("2026-11-26T12:00:00Z");
const rules: MilestoneRules = {
  version: 1,
  timezone: "Europe/Berlin",
  perMilestone: { minWorkouts: 3, minMinutes: 30, activities: ["run", "ride", "strength"] },
  evidence: "device",
};
const workouts = Array.from({ length: 5 * 365 + 1 }, (_, i) => ({
  id: `w${i}`,
  source: "fit" as const,
  sport: (["run", "ride", "strength"] as const)[i % 3] ?? "run",
  startTime: now - (i + 1) * DAY + (i % 5) * 3_600_000,
  durationSec: 1800 + (i % 7) * 300,
  status: "accepted" as const,
}));
const window = { startMs: now - 3 * DAY, endMs: now + 4 * DAY, done: 2, required: 3 };

function once(lookbackDays: number): number {
  const start = performance.now();
  detectPatterns({ workouts, rules, timeZone: "Europe/Berlin", nowMs: now, window, lookbackDays });
  return performance.now() - start;
}

for (let i = 0; i < 3; i += 1) once(56);
for (const lookbackDays of [56, 365]) {
  const times = Array.from({ length: runs }, () => once(lookbackDays)).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
  const p95 = times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)] ?? Number.NaN;
  console.log(
    `detectPatterns, ${workouts.length} workouts (5 years daily), lookback ${lookbackDays} d: median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms (${runs} runs, Node ${process.versions.node})`,
  );
}
