/**
 * Busy intervals from iCalendar text (RFC 5545) with ical.js: recurrences (RRULE, RDATE, EXDATE), overridden
 * occurrences (RECURRENCE-ID), time zones (VTIMEZONE in the file; a TZID without one is read as the IANA zone
 * of that name; floating times and all-day dates in the owner's zone). Cancelled and transparent (free)
 * events are skipped. Titles, descriptions and locations are never read: calendar text is data, and none of
 * it reaches the coach.
 *
 * Bounded per request, not only per file, so a calendar cannot freeze the agent (a recurrence rule is a
 * compact way to ask for millions of occurrences): the range is clipped to `maxRangeMs`; a series that began
 * long before the range starts iterating near it (`fastForwardStart`) instead of from its first occurrence;
 * the iterator steps across all events are capped by `maxExpansions` and the whole expansion by `maxMillis`
 * (TooLargeError `calendar_too_complex` past either); events per file, occurrences per event and intervals
 * in total are capped too. Even so a single step of ical.js can loop without end on a rule no date satisfies
 * (`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`), so the service runs this in a worker with a hard timeout
 * (expandCalendar.ts), never on the main thread.
 */
import ICAL from "ical.js";
import { TooLargeError, ValidationError } from "../../errors.ts";
import { isValidTimeZone, zonedToEpoch } from "../zonedTime.ts";

export interface BusyInterval {
  startMs: number;
  endMs: number;
}

export interface ParseIcsParameters {
  ics: string;
  /** Only occurrences overlapping [fromMs, toMs) are returned. */
  fromMs: number;
  toMs: number;
  /** Zone for floating times and all-day dates. */
  timeZone: string;
  /** Default 5,000 VEVENTs. */
  maxEvents?: number;
  /** Occurrences expanded per recurring event, from its first one. Default 5,000. */
  maxOccurrencesPerEvent?: number;
  /** Default 10,000. */
  maxIntervals?: number;
  /** Iterator steps across all events of one request. Default 20,000. */
  maxExpansions?: number;
  /** Longest range expanded; a longer one is clipped at `fromMs + maxRangeMs`. Default 31 days. */
  maxRangeMs?: number;
  /** Time budget for the expansion, checked between steps. Default 1,000 ms. */
  maxMillis?: number;
  /** Monotonic milliseconds for `maxMillis` (default `performance.now`). */
  elapsed?: () => number;
}

export interface ParseIcsReturnType {
  /** Sorted by start. */
  busy: BusyInterval[];
  events: number;
}

type IcalTime = InstanceType<typeof ICAL.Time>;
type IcalComponent = InstanceType<typeof ICAL.Component>;

function invalid(message: string, cause?: unknown): ValidationError {
  return new ValidationError({ code: "invalid_calendar", message, details: { field: "ics" }, cause });
}

/** Parses and checks the text is a VCALENDAR; throws `invalid_calendar` otherwise. */
export function parseCalendar(ics: string): IcalComponent {
  let root: IcalComponent;
  try {
    root = new ICAL.Component(ICAL.parse(ics) as unknown[]);
  } catch (error) {
    throw invalid("The calendar is not valid iCalendar text.", error);
  }
  if (root.name !== "vcalendar") throw invalid("The calendar must be a VCALENDAR.");
  return root;
}

function toEpochMs(time: IcalTime, tzid: string | null, timeZone: string): number {
  if (time.isDate) return zonedToEpoch({ year: time.year, month: time.month, day: time.day }, timeZone);
  if (time.zone?.tzid !== "floating") return time.toUnixTime() * 1000;
  const zone = tzid !== null && isValidTimeZone(tzid) ? tzid : timeZone;
  return zonedToEpoch(
    {
      year: time.year,
      month: time.month,
      day: time.day,
      hour: time.hour,
      minute: time.minute,
      second: time.second,
    },
    zone,
  );
}

function tzidOf(component: IcalComponent): string | null {
  const value = component.getFirstProperty("dtstart")?.getParameter("tzid");
  return typeof value === "string" ? value : null;
}

function tooComplex(details: Record<string, unknown>): TooLargeError {
  return new TooLargeError({
    code: "calendar_too_complex",
    message: "The calendar's recurrence rules expand to too many occurrences to read.",
    details: { field: "ics", ...details },
  });
}

const DAY_MS = 86_400_000;
const DAY_SECONDS = 86_400;
/** Fixed-length periods, in seconds: a series on one of them can be moved forward by whole periods. */
const PERIOD_SECONDS: Readonly<Record<string, number>> = {
  SECONDLY: 1,
  MINUTELY: 60,
  HOURLY: 3_600,
  DAILY: DAY_SECONDS,
  WEEKLY: 7 * DAY_SECONDS,
};

/**
 * Where to start iterating a series so that no occurrence overlapping `[fromMs, …)` is missed: its DTSTART moved
 * forward by a whole number of periods (`INTERVAL` × the frequency, in wall-clock time, so the lattice of
 * candidates and every BY* filter on it are unchanged) to at most `fromMs - leadMs`. Only for a single RRULE on a
 * fixed-length frequency; a COUNT restarts from the moved start, so a counted series is moved only when it has no
 * BY* part (one occurrence per period), with `last` set to its real last occurrence. Otherwise the series' own
 * start. The moved start is itself an occurrence ical.js emits, but it ends before `fromMs` (leadMs covers the
 * event's length), so it is filtered out like every other early one.
 */
export function fastForwardStart(
  event: InstanceType<typeof ICAL.Event>,
  fromMs: number,
  leadMs: number,
): { start: IcalTime; last?: IcalTime } {
  const start = event.startDate;
  const rules = event.component.getAllProperties("rrule");
  if (rules.length !== 1) return { start };
  const rule = rules[0]?.getFirstValue() as InstanceType<typeof ICAL.Recur> | undefined;
  const period = rule === undefined ? undefined : PERIOD_SECONDS[rule.freq];
  if (rule === undefined || period === undefined) return { start };
  const counted = rule.count !== null && rule.count !== undefined;
  if (counted && Object.keys(rule.parts).length > 0) return { start };
  if (start.isDate && period < DAY_SECONDS) return { start };
  const stepSeconds = period * Math.max(1, rule.interval ?? 1);
  const shifted = (steps: number) => {
    const shift = steps * stepSeconds;
    const moved = start.clone();
    moved.adjust(Math.floor(shift / DAY_SECONDS), 0, 0, shift % DAY_SECONDS);
    return moved;
  };
  // Epoch time is close enough to wall-clock time here: a zone's offset changes by hours, the lead is a day.
  const behindSeconds = (fromMs - leadMs) / 1000 - start.toUnixTime();
  const steps = Math.floor(behindSeconds / stepSeconds);
  if (!(steps > 0)) return { start };
  if (!counted) return { start: shifted(steps) };
  const count = rule.count as number;
  // The whole counted series ends before the range: start at its last occurrence, which is filtered out too.
  return { start: shifted(Math.min(steps, count - 1)), last: shifted(count - 1) };
}

function isFree(component: IcalComponent): boolean {
  const status = String(component.getFirstPropertyValue("status") ?? "").toUpperCase();
  const transp = String(component.getFirstPropertyValue("transp") ?? "").toUpperCase();
  return status === "CANCELLED" || transp === "TRANSPARENT";
}

export function parseIcs(parameters: ParseIcsParameters): ParseIcsReturnType {
  const { fromMs, timeZone } = parameters;
  const toMs = Math.min(parameters.toMs, fromMs + (parameters.maxRangeMs ?? 31 * DAY_MS));
  const maxEvents = parameters.maxEvents ?? 5_000;
  const maxOccurrences = parameters.maxOccurrencesPerEvent ?? 5_000;
  const maxIntervals = parameters.maxIntervals ?? 10_000;
  const maxExpansions = parameters.maxExpansions ?? 20_000;
  const maxMillis = parameters.maxMillis ?? 1_000;
  const elapsed = parameters.elapsed ?? (() => performance.now());
  const startedAt = elapsed();
  let expansions = 0;
  /** One more iterator step; throws once the request's step or time budget is spent. */
  const step = () => {
    expansions += 1;
    if (expansions > maxExpansions) throw tooComplex({ maxExpansions });
    if ((expansions & 0xff) === 0 && elapsed() - startedAt > maxMillis) throw tooComplex({ maxMillis });
  };
  const root = parseCalendar(parameters.ics);
  const vevents = root.getAllSubcomponents("vevent");
  if (vevents.length > maxEvents) {
    throw new TooLargeError({
      code: "calendar_too_large",
      message: `The calendar has more than ${maxEvents} events.`,
      details: { field: "ics", maxEvents },
    });
  }
  const busy: BusyInterval[] = [];
  const add = (startMs: number, endMs: number) => {
    const end = Math.max(endMs, startMs);
    if (end > fromMs && startMs < toMs && end > startMs && busy.length < maxIntervals) {
      busy.push({ startMs, endMs: end });
    }
  };

  const masters = new Map<string, IcalComponent>();
  const exceptions: IcalComponent[] = [];
  for (const vevent of vevents) {
    const uid = String(vevent.getFirstPropertyValue("uid") ?? "");
    if (vevent.hasProperty("recurrence-id")) exceptions.push(vevent);
    else if (uid !== "" && !masters.has(uid)) masters.set(uid, vevent);
    else masters.set(`${uid}#${masters.size}`, vevent);
  }
  const events = new Map<IcalComponent, InstanceType<typeof ICAL.Event>>();
  try {
    for (const component of masters.values()) events.set(component, new ICAL.Event(component));
    for (const exception of exceptions) {
      const master = masters.get(String(exception.getFirstPropertyValue("uid") ?? ""));
      const event = master === undefined ? undefined : events.get(master);
      if (event?.isRecurring() === true) event.relateException(new ICAL.Event(exception));
      else events.set(exception, new ICAL.Event(exception)); // an override of nothing: a plain event
    }

    for (const [component, event] of events) {
      if (event.startDate === null || event.startDate === undefined) continue;
      if (!event.isRecurring()) {
        if (isFree(component)) continue;
        const tzid = tzidOf(component);
        add(toEpochMs(event.startDate, tzid, timeZone), toEpochMs(event.endDate, tzid, timeZone));
        continue;
      }
      // Start near the range: the event's own length before it (an occurrence that began earlier may still be
      // running), plus a day for zone offsets.
      const lengthMs = Math.max(0, event.duration?.toSeconds() ?? 0) * 1000;
      const near = fastForwardStart(event, fromMs, lengthMs + DAY_MS);
      const iterator = event.iterator(near.start);
      for (let i = 0; i < maxOccurrences; i += 1) {
        step();
        const next = iterator.next();
        if (next === undefined || next === null) break;
        if (near.last !== undefined && next.compare(near.last) > 0) break;
        const details = event.getOccurrenceDetails(next);
        const item = details.item as InstanceType<typeof ICAL.Event> | undefined;
        const source = item?.component ?? component;
        const tzid = tzidOf(source);
        const startMs = toEpochMs(details.startDate, tzid, timeZone);
        // Overrides may move an occurrence; stop only when the unmoved series is past the range.
        if (toEpochMs(next, tzidOf(component), timeZone) >= toMs + 7 * 86_400_000) break;
        if (isFree(source)) continue;
        add(startMs, toEpochMs(details.endDate, tzid, timeZone));
      }
    }
  } catch (error) {
    if (error instanceof TooLargeError) throw error;
    throw invalid("The calendar could not be read (an event or recurrence rule is malformed).", error);
  }
  busy.sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  return { busy, events: vevents.length };
}
