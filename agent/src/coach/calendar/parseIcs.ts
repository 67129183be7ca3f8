/**
 * Busy intervals from iCalendar text (RFC 5545) with ical.js: recurrences (RRULE, RDATE, EXDATE), overridden
 * occurrences (RECURRENCE-ID), time zones (VTIMEZONE in the file; a TZID without one is read as the IANA zone
 * of that name; floating times and all-day dates in the owner's zone). Cancelled and transparent (free)
 * events are skipped. Titles, descriptions and locations are never read: calendar text is data, and none of
 * it reaches the coach. Bounded: events per file, occurrences per event and intervals in total.
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

function isFree(component: IcalComponent): boolean {
  const status = String(component.getFirstPropertyValue("status") ?? "").toUpperCase();
  const transp = String(component.getFirstPropertyValue("transp") ?? "").toUpperCase();
  return status === "CANCELLED" || transp === "TRANSPARENT";
}

export function parseIcs(parameters: ParseIcsParameters): ParseIcsReturnType {
  const { fromMs, toMs, timeZone } = parameters;
  const maxEvents = parameters.maxEvents ?? 5_000;
  const maxOccurrences = parameters.maxOccurrencesPerEvent ?? 5_000;
  const maxIntervals = parameters.maxIntervals ?? 10_000;
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
      const iterator = event.iterator();
      for (let i = 0; i < maxOccurrences; i += 1) {
        const next = iterator.next();
        if (next === undefined || next === null) break;
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
