/**
 * Runs the integrity corpus through the real ingestion path (parse → verify → claims → replay lookup → store)
 * over a fresh in-memory store, every file uploaded by its own wallet, genuine recordings first (in recording
 * order), then the forgeries. Returns, per kind, how many were accepted and rejected and whether each rejected
 * forgery carries its expected reason. Shared by `npm run integrity` and integrity.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Address } from "viem";
import { ManualClock } from "../../src/clock.ts";
import { createLogger } from "../../src/logger.ts";
import { createMetrics } from "../../src/metrics.ts";
import { type IngestContext, ingestActivities } from "../../src/services/ingestActivities.ts";
import { openDatabase } from "../../src/store/database.ts";
import { createStore, type Store } from "../../src/store/store.ts";
import { parseWorkoutFile } from "../../src/workouts/index.ts";
import { detectSyntheticTrack, type TrackStatistics } from "../../src/workouts/syntheticTrack.ts";
import {
  type BuildCorpusParameters,
  buildCorpus,
  EXPECTED_REASON,
  FORGERY_KINDS,
  type ForgeryKind,
} from "./corpus.ts";

export interface KindResult {
  kind: "genuine" | ForgeryKind;
  total: number;
  accepted: number;
  rejected: number;
  /** Rejected with the kind's expected reason among their reasons. */
  withExpectedReason: number;
  /** Files that went the wrong way, with their reasons. */
  misses: { name: string; reasons: string[] }[];
}

export interface IntegrityReport {
  results: KindResult[];
  genuineAcceptedShare: number;
  forgeryRejectedShare: number;
  milliseconds: number;
}

let ownerCounter = 0;
function nextOwner(): Address {
  ownerCounter += 1;
  return `0x${(0x1e000000 + ownerCounter).toString(16).padStart(40, "0")}` as Address;
}

async function withStore<T>(clock: ManualClock, work: (store: Store) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir: "memory://" });
  const store = createStore(database, clock);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function contextOf(store: Store, clock: ManualClock): IngestContext {
  return {
    store,
    clock,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: createLogger({ level: "silent" }),
    chain: undefined,
  };
}

async function upload(context: IngestContext, bytes: Uint8Array) {
  const activities = parseWorkoutFile(bytes);
  const format = activities[0]?.format ?? "fit";
  const result = await ingestActivities(context, { owner: nextOwner(), source: format, activities });
  return result.workouts.map((w) => ({
    status: w.verdict.status,
    reasons: w.verdict.reasons.map((r) => r.code),
  }));
}

export async function measureIntegrity(parameters: BuildCorpusParameters = {}): Promise<IntegrityReport> {
  const started = Date.now();
  const corpus = buildCorpus(parameters);
  const clock = new ManualClock(corpus.end + 3_600_000);
  const results: KindResult[] = [];
  await withStore(clock, async (store) => {
    const context = contextOf(store, clock);
    const genuine: KindResult = {
      kind: "genuine",
      total: 0,
      accepted: 0,
      rejected: 0,
      withExpectedReason: 0,
      misses: [],
    };
    for (const file of corpus.genuine) {
      for (const verdict of await upload(context, file.bytes)) {
        genuine.total += 1;
        if (verdict.status === "accepted") genuine.accepted += 1;
        else {
          genuine.rejected += 1;
          genuine.misses.push({ name: file.name, reasons: verdict.reasons });
        }
      }
    }
    results.push(genuine);
    const byKind = new Map<ForgeryKind, KindResult>(
      FORGERY_KINDS.map((kind) => [
        kind,
        { kind, total: 0, accepted: 0, rejected: 0, withExpectedReason: 0, misses: [] },
      ]),
    );
    for (const forgery of corpus.forgeries) {
      const result = byKind.get(forgery.kind) as KindResult;
      for (const verdict of await upload(context, forgery.bytes)) {
        result.total += 1;
        const expected = verdict.reasons.includes(EXPECTED_REASON[forgery.kind]);
        if (verdict.status === "accepted") result.accepted += 1;
        else result.rejected += 1;
        if (expected) result.withExpectedReason += 1;
        if (verdict.status === "accepted" || !expected) {
          result.misses.push({ name: forgery.name, reasons: verdict.reasons });
        }
      }
    }
    results.push(...byKind.values());
  });
  const forgeries = results.filter((r) => r.kind !== "genuine");
  const forgeryTotal = forgeries.reduce((s, r) => s + r.total, 0);
  const genuine = results[0] as KindResult;
  return {
    results,
    genuineAcceptedShare: genuine.total > 0 ? genuine.accepted / genuine.total : 0,
    forgeryRejectedShare:
      forgeryTotal > 0 ? forgeries.reduce((s, r) => s + r.withExpectedReason, 0) / forgeryTotal : 0,
    milliseconds: Date.now() - started,
  };
}

/** ../shared/fixtures/workouts (real device files, never part of the repo), or undefined when absent. */
export const REAL_FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));

export interface RealFixtureResult {
  name: string;
  index: number;
  sport: string;
  status: string;
  reasons: string[];
  statistics: TrackStatistics;
}

/**
 * Every real device file, each uploaded by its own wallet into one store: what the integrity checks say about
 * genuine recordings (a `synthetic_track` or `replayed_track` here is a false positive).
 */
export async function measureRealFixtures(
  directory = REAL_FIXTURES,
): Promise<RealFixtureResult[] | undefined> {
  if (!existsSync(directory)) return undefined;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const out: RealFixtureResult[] = [];
  await withStore(clock, async (store) => {
    const context = contextOf(store, clock);
    for (const name of readdirSync(directory).sort()) {
      if (!/\.(fit|gpx|tcx)$/i.test(name)) continue;
      let activities: ReturnType<typeof parseWorkoutFile>;
      try {
        activities = parseWorkoutFile(new Uint8Array(readFileSync(`${directory}${name}`)));
      } catch {
        continue; // a file that yields no workout (no timestamps, no track) is not judged here
      }
      const format = activities[0]?.format ?? "fit";
      const result = await ingestActivities(context, { owner: nextOwner(), source: format, activities });
      result.workouts.forEach((workout, index) => {
        const activity = activities[index];
        if (activity === undefined) return;
        out.push({
          name,
          index,
          sport: workout.sport,
          status: workout.verdict.status,
          reasons: workout.verdict.reasons.map((r) => r.code),
          statistics: detectSyntheticTrack(activity.samples).statistics,
        });
      });
    }
  });
  return out;
}

/** The rates as a Markdown table (what `npm run integrity` prints and docs/oracle-integrity.md records). */
export function formatReport(report: IntegrityReport): string {
  const lines = [
    "| kind | files | accepted | rejected with the expected reason | expected reason |",
    "| --- | ---: | ---: | ---: | --- |",
  ];
  for (const r of report.results) {
    const pct = (n: number) => (r.total > 0 ? `${((100 * n) / r.total).toFixed(1)} %` : "-");
    lines.push(
      `| ${r.kind} | ${r.total} | ${r.accepted} (${pct(r.accepted)}) | ${r.kind === "genuine" ? "-" : `${r.withExpectedReason} (${pct(r.withExpectedReason)})`} | ${r.kind === "genuine" ? "-" : EXPECTED_REASON[r.kind]} |`,
    );
  }
  lines.push(
    "",
    `Genuine accepted: ${(report.genuineAcceptedShare * 100).toFixed(1)} %. Forgeries rejected with their reason: ${(report.forgeryRejectedShare * 100).toFixed(1)} %. (${(report.milliseconds / 1000).toFixed(1)} s)`,
  );
  return lines.join("\n");
}
