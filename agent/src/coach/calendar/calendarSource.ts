/**
 * The owner's calendar: fetch an iCalendar feed from a URL (through `safeRequest`), and load the stored one,
 * refetching a URL calendar once it is older than `refreshMs` (a failed refresh keeps the stored copy).
 */
import type { Clock } from "../../clock.ts";
import { ValidationError } from "../../errors.ts";
import { isUnsafeText } from "../../http/safeText.ts";
import type { Logger } from "../../logger.ts";
import type { CoachCalendarRecord } from "../../store/coachCalendarsRepository.ts";
import type { Repositories } from "../../store/store.ts";
import { parseCalendar } from "./parseIcs.ts";
import { type SafeRequestPolicy, safeRequest } from "./safeRequest.ts";

export interface CalendarSourceSettings {
  policy: SafeRequestPolicy;
  /** Refetch a URL calendar older than this. */
  refreshMs: number;
}

/** Fetches and checks an iCalendar feed; the text is returned only when it parses as a VCALENDAR. */
export async function fetchCalendar(url: string, policy: SafeRequestPolicy): Promise<string> {
  const webcal = url.replace(/^webcal:/i, "https:");
  const response = await safeRequest(
    { url: webcal, field: "url", headers: { accept: "text/calendar, */*;q=0.5" } },
    policy,
  );
  if (response.status !== 200) {
    throw new ValidationError({
      code: "url_unreachable",
      message: `The calendar URL answered ${response.status}.`,
      details: { field: "url", status: response.status },
    });
  }
  const ics = response.body.toString("utf8");
  if (isUnsafeText(ics)) {
    throw new ValidationError({
      code: "invalid_calendar",
      message: "The calendar at this URL holds NUL characters; it is not iCalendar text.",
      details: { field: "url" },
    });
  }
  parseCalendar(ics);
  return ics;
}

export interface LoadCalendarParameters {
  store: Pick<Repositories, "coachCalendars">;
  clock: Clock;
  logger: Logger;
  settings: CalendarSourceSettings;
  owner: string;
}

export async function loadCalendar(parameters: LoadCalendarParameters): Promise<CoachCalendarRecord | null> {
  const { store, clock, logger, settings, owner } = parameters;
  const stored = await store.coachCalendars.get(owner);
  if (stored === null || stored.url === null) return stored;
  if (clock.now() - stored.fetchedAt.getTime() < settings.refreshMs) return stored;
  try {
    const ics = await fetchCalendar(stored.url, settings.policy);
    return await store.coachCalendars.put({ owner, url: stored.url, ics, fetchedAt: new Date(clock.now()) });
  } catch (error) {
    logger.warn({ err: error, owner }, "calendar refresh failed; using the stored copy");
    return stored;
  }
}
