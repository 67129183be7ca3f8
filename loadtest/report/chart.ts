/**
 * The run's chart as hand-written SVG (no charting dependency): per second, latency p50 and p99 (log scale, left
 * axis) and errors per second (5xx and unanswered requests, bars on the right axis), with the declared fault windows
 * shaded and named.
 */
import type { FaultWindow } from "../audit/audit.ts";
import type { SecondBucket } from "../users/requestLog.ts";
import { percentile } from "./percentiles.ts";

export interface ChartParameters {
  seconds: ReadonlyMap<number, SecondBucket>;
  windows: readonly FaultWindow[];
  title: string;
}

const W = 960;
const H = 420;
const M = { left: 64, right: 56, top: 48, bottom: 64 };
const COLORS: Record<string, string> = {
  redis: "#e4572e",
  postgres: "#4c78a8",
  replica: "#b279a2",
  rpc: "#f2a541",
  reorg: "#54a24b",
  skew: "#9d755d",
};

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function renderChart({ seconds, windows, title }: ChartParameters): string {
  const keys = [...seconds.keys()].sort((a, b) => a - b);
  const t0 = keys[0] ?? 0;
  const t1 = Math.max(t0 + 1, keys[keys.length - 1] ?? 1);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (sec: number) => M.left + ((sec - t0) / (t1 - t0)) * plotW;
  const series = keys.map((sec) => {
    const b = seconds.get(sec) as SecondBucket;
    return { sec, p50: percentile(b.latencies, 50), p99: percentile(b.latencies, 99), errors: b.errors };
  });
  const maxLatency = Math.max(10, ...series.map((s) => (Number.isFinite(s.p99) ? s.p99 : 0)));
  const logMax = Math.ceil(Math.log10(maxLatency));
  const yLat = (ms: number) => M.top + plotH - (Math.log10(Math.max(1, ms)) / logMax) * plotH;
  const maxErrors = Math.max(1, ...series.map((s) => s.errors));
  const yErr = (n: number) => M.top + plotH - (n / maxErrors) * plotH;
  const line = (pick: (s: (typeof series)[number]) => number) =>
    series
      .filter((s) => Number.isFinite(pick(s)))
      .map((s, i) => `${i === 0 ? "M" : "L"}${x(s.sec).toFixed(1)},${yLat(pick(s)).toFixed(1)}`)
      .join("");
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${escapeXml(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="24" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  );
  for (const w of windows) {
    const a = Math.max(M.left, x(w.startMs / 1000));
    const b = Math.min(W - M.right, x(w.endMs / 1000));
    const color = COLORS[w.fault] ?? "#999";
    parts.push(
      `<rect x="${a.toFixed(1)}" y="${M.top}" width="${Math.max(1, b - a).toFixed(1)}" height="${plotH}" fill="${color}" fill-opacity="0.15"/>`,
      `<text x="${(a + 2).toFixed(1)}" y="${M.top + 12}" fill="${color}">${escapeXml(w.fault)}</text>`,
    );
  }
  for (let p = 0; p <= logMax; p += 1) {
    const y = yLat(10 ** p);
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`,
      `<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${10 ** p} ms</text>`,
    );
  }
  const barW = Math.max(1, plotW / (t1 - t0 + 1) - 0.5);
  for (const s of series) {
    if (s.errors === 0) continue;
    parts.push(
      `<rect x="${(x(s.sec) - barW / 2).toFixed(1)}" y="${yErr(s.errors).toFixed(1)}" width="${barW.toFixed(1)}" height="${(M.top + plotH - yErr(s.errors)).toFixed(1)}" fill="#d62728" fill-opacity="0.7"/>`,
    );
  }
  parts.push(
    `<path d="${line((s) => s.p99)}" fill="none" stroke="#ff7f0e" stroke-width="1.2"/>`,
    `<path d="${line((s) => s.p50)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`,
    `<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#333"/>`,
    `<line x1="${W - M.right}" x2="${W - M.right}" y1="${M.top}" y2="${M.top + plotH}" stroke="#333"/>`,
    `<text x="${W - M.right + 6}" y="${M.top + 4}">${maxErrors} err/s</text>`,
    `<text x="${W - M.right + 6}" y="${M.top + plotH}">0</text>`,
  );
  const span = t1 - t0;
  const step = span > 1200 ? 300 : span > 300 ? 60 : 30;
  for (let t = 0; t <= span; t += step) {
    parts.push(
      `<text x="${x(t0 + t).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle">${t} s</text>`,
    );
  }
  const ly = H - 18;
  parts.push(
    `<line x1="${M.left}" x2="${M.left + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="#1f77b4" stroke-width="2"/><text x="${M.left + 24}" y="${ly}">latency p50</text>`,
    `<line x1="${M.left + 110}" x2="${M.left + 130}" y1="${ly - 4}" y2="${ly - 4}" stroke="#ff7f0e" stroke-width="2"/><text x="${M.left + 134}" y="${ly}">latency p99</text>`,
    `<rect x="${M.left + 220}" y="${ly - 9}" width="12" height="10" fill="#d62728" fill-opacity="0.7"/><text x="${M.left + 236}" y="${ly}">5xx + unanswered per second</text>`,
    `<rect x="${M.left + 420}" y="${ly - 9}" width="12" height="10" fill="#999" fill-opacity="0.3"/><text x="${M.left + 436}" y="${ly}">declared fault window (+ recovery)</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}
