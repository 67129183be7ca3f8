/**
 * Wall-clock arithmetic in IANA time zones with `Intl` only: the local parts of an instant, the instant of a
 * local time (DST gaps move forward, repeated hours take the first), local midnight, and short labels.
 */

export interface LocalParts {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday .. 6 = Saturday. */
  weekday: number;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_CACHED_FORMATTERS = 500;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localParts(ms: number, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS.indexOf(parts.weekday as (typeof WEEKDAYS)[number]),
  };
}

/** Offset of the zone from UTC at `ms`, in ms (positive east of Greenwich). */
export function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour?: number;
  minute?: number;
  second?: number;
}

/** The instant a local wall time names in `timeZone` (day overflow like day 32 rolls over, as Date.UTC does). */
export function zonedToEpoch(wall: WallTime, timeZone: string): number {
  const guess = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour ?? 0,
    wall.minute ?? 0,
    wall.second ?? 0,
  );
  const first = guess - offsetAt(guess, timeZone);
  const second = guess - offsetAt(first, timeZone);
  if (first === second) return first;
  // DST transition: take the earlier reading that maps back to the wall time, else (a gap) the later one.
  const candidates = [first, second].sort((a, b) => a - b);
  for (const candidate of candidates) {
    if (candidate + offsetAt(candidate, timeZone) === guess) return candidate;
  }
  return Math.max(first, second);
}

/** Local midnight of the day `ms` falls on, plus `addDays` days. */
export function startOfLocalDay(ms: number, timeZone: string, addDays = 0): number {
  const p = localParts(ms, timeZone);
  return zonedToEpoch({ year: p.year, month: p.month, day: p.day + addDays }, timeZone);
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** `Thu 26 Nov 18:00`. */
export function formatLocal(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${WEEKDAYS[p.weekday]} ${p.day} ${MONTHS[p.month - 1]} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** `Thu 26 Nov 18:00-19:00` (the end shows its date only when it is another day). */
export function formatLocalRange(startMs: number, endMs: number, timeZone: string): string {
  const start = formatLocal(startMs, timeZone);
  const end = formatLocal(endMs, timeZone);
  return start.slice(0, -5) === end.slice(0, -5) ? `${start}-${end.slice(-5)}` : `${start} to ${end}`;
}

/** `HH:MM` of a minute of the day. */
export function formatMinuteOfDay(minute: number): string {
  return `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;
}

export function weekdayName(weekday: number): string {
  return WEEKDAYS[weekday] ?? "?";
}

/** A range as a tool reports it: the owner's time zone, and both instants in ISO 8601 (UTC). */
export function rangeInZone(
  timeZone: string,
  fromMs: number,
  toMs: number,
): { timeZone: string; from: string; to: string } {
  return { timeZone, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
}
