/**
 * The hostile inputs of the security review, timed: a calendar of N `FREQ=MINUTELY` events since 1900 (one
 * free-slot question over the next 7 days), a FIT file of 26 MB of empty non-record messages, and for scale a
 * normal one-hour FIT and a one-hour GPX. For each: wall time, and the longest the event loop stayed blocked
 * (a 10 ms interval timer's worst lateness), so work moved off the main thread shows as wall time only.
 * Run from the repository root with Node 22: `node agent/bench/hardening.bench.ts [events...]` (default 100 1000).
 */
import { expandBusyIntervals } from "../src/coach/calendar/expandCalendar.ts";
import { parseWorkoutFile } from "../src/workouts/parseWorkoutFile.ts";
import { gpx, oneHourRunFit, repeatedMessagesFit, T0, track, utf8 } from "../test/workouts/fixtures.ts";
import { printTable } from "./printTable.ts";

const NOW = Date.parse("2026-03-02T07:00:00Z");
const DAY_MS = 86_400_000;

/** `events` recurring events, each `FREQ=MINUTELY` from 1900-01-01 with no end. */
export function minutelyBombIcs(events: number): string {
  const lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bomb//EN"];
  for (let i = 0; i < events; i += 1) {
    lines.push(
      "BEGIN:VEVENT",
      `UID:bomb-${i}@example.com`,
      "DTSTAMP:20260101T000000Z",
      "DTSTART:19000101T000000Z",
      "DTEND:19000101T000030Z",
      "RRULE:FREQ=MINUTELY",
      "END:VEVENT",
    );
  }
  lines.push("END:VCALENDAR");
  return lines.join("\r\n");
}

async function timed(task: () => unknown): Promise<{ wallMs: number; blockedMs: number; outcome: string }> {
  let last = performance.now();
  let blockedMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    blockedMs = Math.max(blockedMs, now - last - 10);
    last = now;
  }, 10);
  const started = performance.now();
  let outcome = "ok";
  try {
    await task();
  } catch (error) {
    outcome = (error as { code?: string }).code ?? String(error);
  }
  const wallMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(timer);
  blockedMs = Math.max(blockedMs, performance.now() - last - 10);
  return { wallMs, blockedMs, outcome };
}

const rows: string[][] = [];
const add = (name: string, r: { wallMs: number; blockedMs: number; outcome: string }) =>
  rows.push([name, r.wallMs.toFixed(0), Math.max(0, r.blockedMs).toFixed(0), r.outcome]);

const counts = process.argv.slice(2).map(Number);
for (const events of counts.length > 0 ? counts : [100, 1000]) {
  const ics = minutelyBombIcs(events);
  add(
    `calendar bomb, ${events} events`,
    await timed(() =>
      expandBusyIntervals({ ics, fromMs: NOW, toMs: NOW + 7 * DAY_MS, timeZone: "Europe/Zurich" }),
    ),
  );
}
const limits = { maxBytes: 30 * 1024 * 1024, maxPoints: 200_000, maxActivities: 20 };
// Inputs are built before the clock starts.
const bomb = repeatedMessagesFit(26 * 1024 * 1024);
const hourFit = oneHourRunFit();
add("FIT, 26 MB of empty messages", await timed(() => parseWorkoutFile(bomb, limits)));
add("FIT, one hour at 1 Hz", await timed(() => parseWorkoutFile(hourFit, limits)));
const hour = track({ start: T0, seconds: 3599, speedMps: 3, heartRate: 150, ele: (s) => 400 + s / 100 });
const gpxBytes = utf8(gpx({ segments: [hour] }));
add("GPX, one hour at 1 Hz", await timed(() => parseWorkoutFile(gpxBytes, limits)));
printTable([["input", "wall ms", "event loop blocked ms", "outcome"], ...rows]);
