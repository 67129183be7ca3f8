/**
 * Free slots (PURE): the gaps between busy intervals inside each local day's available hours (default
 * 06:00-21:00) that are not quiet hours and last at least `minMinutes`. Starts are rounded up to a quarter
 * hour. Bounded by `maxSlots` and 31 days.
 */
import { isQuietMinute, type QuietHours } from "../quietHours.ts";
import { formatLocalRange, localParts, startOfLocalDay, zonedToEpoch } from "../zonedTime.ts";
import type { BusyInterval } from "./parseIcs.ts";

export interface FreeSlot {
  start: string;
  end: string;
  minutes: number;
  /** `Thu 26 Nov 18:00-19:00` in the owner's zone. */
  local: string;
}

export interface FreeSlotsParameters {
  busy: readonly BusyInterval[];
  fromMs: number;
  toMs: number;
  timeZone: string;
  /** Minutes after local midnight. Default 360 (06:00). */
  dayStartMin?: number;
  /** Default 1260 (21:00). */
  dayEndMin?: number;
  quiet?: QuietHours;
  minMinutes: number;
  /** Default 20. */
  maxSlots?: number;
}

const QUARTER_MS = 15 * 60_000;
const MAX_DAYS = 31;

/** Available local-day spans (ms) inside [dayStart, dayEnd) minus quiet hours, for the day starting at `midnight`. */
function availableSpans(midnightMs: number, p: FreeSlotsParameters): [number, number][] {
  const dayStart = p.dayStartMin ?? 360;
  const dayEnd = p.dayEndMin ?? 1260;
  const spans: [number, number][] = [];
  let open: number | null = null;
  // Minute resolution would be 1440 steps a day; quarter hours are enough (quiet hours set by the minute are
  // rounded inwards, never into quiet time, because a quarter is open only if all of its minutes are).
  for (let m = 0; m <= 1440; m += 15) {
    const usable =
      m < 1440 &&
      m >= dayStart &&
      m + 15 <= dayEnd &&
      (p.quiet === undefined || ![0, 5, 10, 14].some((d) => isQuietMinute(m + d, p.quiet as QuietHours)));
    if (usable && open === null) open = m;
    if (!usable && open !== null) {
      spans.push([open, m]);
      open = null;
    }
  }
  const { year, month, day } = localParts(midnightMs + 12 * 3_600_000, p.timeZone);
  return spans.map(([a, b]) => [
    zonedToEpoch({ year, month, day, hour: Math.floor(a / 60), minute: a % 60 }, p.timeZone),
    zonedToEpoch({ year, month, day, hour: Math.floor(b / 60), minute: b % 60 }, p.timeZone),
  ]);
}

export function freeSlots(parameters: FreeSlotsParameters): FreeSlot[] {
  const { fromMs, toMs, timeZone, minMinutes } = parameters;
  const maxSlots = parameters.maxSlots ?? 20;
  const minMs = Math.max(1, minMinutes) * 60_000;
  const busy = [...parameters.busy].sort((a, b) => a.startMs - b.startMs);
  const slots: FreeSlot[] = [];
  let midnight = startOfLocalDay(fromMs, timeZone);
  for (let d = 0; d < MAX_DAYS && midnight < toMs && slots.length < maxSlots; d += 1) {
    for (const [spanStart, spanEnd] of availableSpans(midnight, parameters)) {
      let cursor = Math.ceil(Math.max(spanStart, fromMs) / QUARTER_MS) * QUARTER_MS;
      const limit = Math.min(spanEnd, toMs);
      for (const interval of busy) {
        if (interval.endMs <= cursor || interval.startMs >= limit) continue;
        if (interval.startMs - cursor >= minMs) pushSlot(slots, cursor, interval.startMs, timeZone);
        cursor = Math.max(cursor, Math.ceil(interval.endMs / QUARTER_MS) * QUARTER_MS);
      }
      if (limit - cursor >= minMs) pushSlot(slots, cursor, limit, timeZone);
    }
    midnight = startOfLocalDay(midnight, timeZone, 1);
  }
  return slots.slice(0, maxSlots);
}

function pushSlot(slots: FreeSlot[], startMs: number, endMs: number, timeZone: string): void {
  slots.push({
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    minutes: Math.round((endMs - startMs) / 60_000),
    local: formatLocalRange(startMs, endMs, timeZone),
  });
}
