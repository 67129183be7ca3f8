/**
 * loadtest/report.json: the machine-readable result of a run (issue 17): users, requests, per-route latency
 * percentiles and throughput, errors by status and by fault window, the audit's violations, peak RSS per
 * process and the duration.
 */
import type { AuditResult, FaultWindow } from "../audit/audit.ts";
import type { UserOutcome } from "../users/journey.ts";
import type { RequestLog } from "../users/requestLog.ts";
import { percentile, round } from "./percentiles.ts";

export interface RouteFigures {
  requests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Answered requests per second over the run's request span. */
  throughputPerSec: number;
}

export interface LoadReport {
  generatedAt: string;
  users: number;
  faults: string[];
  durationSec: { total: number; stack: number; users: number; settle: number; audit: number };
  chainSpeedup: number;
  requests: { total: number; byStatus: Record<string, number> };
  routes: Record<string, RouteFigures>;
  errorsByFaultWindow: {
    fault: string;
    startMs: number;
    endMs: number;
    requests: number;
    errors: Record<string, number>;
  }[];
  errorsOutsideWindows: Record<string, number>;
  /** Uploads answered 503 server_busy (the parser pool's back-pressure) and retried by the client. */
  shedUploads: number;
  journeys: {
    finished: number;
    failed: number;
    commitments: number;
    milestones: { met: number; missed: number; uncertain: number };
    uploads: { answered2xx: number; accepted: number; rejectedReasons: Record<string, number> };
    claims: Record<string, number>;
  };
  audit: AuditResult["checked"] & { uncertainMilestones: number; violations: AuditResult["violations"] };
  faultWindows: FaultWindow[];
  peakRssMb: Record<string, number>;
}

export interface BuildReportParameters {
  users: readonly UserOutcome[];
  faults: string[];
  log: RequestLog;
  windows: readonly FaultWindow[];
  audit: AuditResult;
  peakRss: Record<string, number>;
  durations: LoadReport["durationSec"];
  chainSpeedup: number;
  slackMs: number;
  minWorkouts: number;
}

export function buildReport(p: BuildReportParameters): LoadReport {
  const spanSec = Math.max(1, (p.log.lastAt - p.log.firstAt) / 1000);
  const routes: Record<string, RouteFigures> = {};
  for (const [route, latencies] of [...p.log.latenciesByRoute()].sort(([a], [b]) => a.localeCompare(b))) {
    routes[route] = {
      requests: latencies.length,
      p50Ms: round(percentile(latencies, 50)),
      p95Ms: round(percentile(latencies, 95)),
      p99Ms: round(percentile(latencies, 99)),
      throughputPerSec: round(latencies.length / spanSec, 2),
    };
  }
  // As the audit counts them: a failure belongs to the window it was seen in (its start plus its latency).
  const windowOf = (at: number, latencyMs = 0) =>
    p.windows.findIndex((w) => at + latencyMs >= w.startMs && at + latencyMs <= w.endMs + p.slackMs);
  const errorsByFaultWindow = p.windows.map((w) => ({
    ...w,
    requests: 0,
    errors: {} as Record<string, number>,
  }));
  const errorsOutsideWindows: Record<string, number> = {};
  for (const f of p.log.failures) {
    const label = f.status === 0 ? `no answer (${f.code ?? "?"})` : String(f.status);
    const target = errorsByFaultWindow[windowOf(f.at, f.latencyMs)]?.errors ?? errorsOutsideWindows;
    target[label] = (target[label] ?? 0) + 1;
  }
  for (const [second, bucket] of p.log.seconds()) {
    const w = errorsByFaultWindow[windowOf(second * 1000)];
    if (w !== undefined) w.requests += bucket.requests;
  }
  const rejectedReasons: Record<string, number> = {};
  const claims: Record<string, number> = {};
  let answered2xx = 0;
  let accepted = 0;
  let met = 0;
  let missed = 0;
  let uncertain = 0;
  for (const user of p.users) {
    for (const upload of user.uploads) {
      if (upload.status >= 200 && upload.status < 300) answered2xx += 1;
      for (const w of upload.workouts) {
        if (w.status === "accepted") accepted += 1;
        else for (const r of w.reasons) rejectedReasons[r] = (rejectedReasons[r] ?? 0) + 1;
      }
    }
    if (user.commitmentId === undefined) continue;
    for (const m of user.milestones) {
      if (m.uncertain) uncertain += 1;
      else if (m.accepted >= p.minWorkouts) met += 1;
      else missed += 1;
      if (m.accepted >= p.minWorkouts) {
        const label = `${m.claim}: ${m.claimResult ?? "left to the agent"}`;
        claims[label] = (claims[label] ?? 0) + 1;
      }
    }
  }
  const peakRssMb: Record<string, number> = {};
  for (const [name, bytes] of Object.entries(p.peakRss)) peakRssMb[name] = round(bytes / 2 ** 20);
  return {
    generatedAt: new Date().toISOString(),
    users: p.users.length,
    faults: p.faults,
    durationSec: p.durations,
    chainSpeedup: p.chainSpeedup,
    requests: { total: p.log.count, byStatus: Object.fromEntries(p.log.statuses()) },
    routes,
    errorsByFaultWindow,
    errorsOutsideWindows,
    shedUploads: p.log.failures.filter((f) => f.code === "server_busy").length,
    journeys: {
      finished: p.users.filter((u) => u.failedAt === undefined).length,
      failed: p.users.filter((u) => u.failedAt !== undefined).length,
      commitments: p.users.filter((u) => u.commitmentId !== undefined).length,
      milestones: { met, missed, uncertain },
      uploads: { answered2xx, accepted, rejectedReasons },
      claims,
    },
    audit: {
      ...p.audit.checked,
      uncertainMilestones: p.audit.uncertainMilestones,
      violations: p.audit.violations,
    },
    faultWindows: [...p.windows],
    peakRssMb,
  };
}
