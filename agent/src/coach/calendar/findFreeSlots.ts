/**
 * Free slots for an owner between two instants: their calendar (loaded, refreshed when stale) expanded to
 * busy intervals, then the gaps in their available hours outside quiet hours. Without a calendar every
 * available hour is free.
 */
import type { CoachDependencies } from "../coachDependencies.ts";
import type { EffectivePreferences } from "../coachPreferences.ts";
import { loadCalendar } from "./calendarSource.ts";
import { expandBusyIntervals } from "./expandCalendar.ts";
import { type FreeSlot, freeSlots } from "./freeSlots.ts";

export interface FindFreeSlotsParameters {
  owner: string;
  fromMs: number;
  toMs: number;
  timeZone: string;
  preferences: EffectivePreferences;
  minMinutes: number;
  maxSlots?: number;
}

export interface FindFreeSlotsReturnType {
  slots: FreeSlot[];
  /** Whether a calendar was used (else only quiet and available hours limit the slots). */
  calendar: "uploaded" | "url" | "none";
  busyIntervals: number;
}

export async function findFreeSlots(
  deps: Pick<CoachDependencies, "store" | "clock" | "logger" | "calendar">,
  parameters: FindFreeSlotsParameters,
): Promise<FindFreeSlotsReturnType> {
  const { owner, fromMs, toMs, timeZone, preferences } = parameters;
  const stored = await loadCalendar({
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    settings: deps.calendar,
    owner,
  });
  // Off the main thread, bounded in time and work (expandCalendar.ts): a calendar cannot freeze the agent.
  const busy =
    stored === null ? [] : (await expandBusyIntervals({ ics: stored.ics, fromMs, toMs, timeZone })).busy;
  const slots = freeSlots({
    busy,
    fromMs,
    toMs,
    timeZone,
    quiet: { startMin: preferences.quietStartMin, endMin: preferences.quietEndMin },
    minMinutes: parameters.minMinutes,
    maxSlots: parameters.maxSlots,
  });
  return {
    slots,
    calendar: stored === null ? "none" : stored.url === null ? "uploaded" : "url",
    busyIntervals: busy.length,
  };
}
