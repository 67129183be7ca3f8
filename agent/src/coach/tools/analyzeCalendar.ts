/**
 * `analyzeCalendar({ range? | from?, to?, minMinutes? })`: free slots in the owner's calendar (uploaded or
 * fetched), outside quiet hours and inside available hours, in their time zone. Event titles are never read.
 */
import { z } from "zod";
import { ValidationError } from "../../errors.ts";
import { findFreeSlots } from "../calendar/findFreeSlots.ts";
import type { FreeSlot } from "../calendar/freeSlots.ts";
import { rangeInZone, startOfLocalDay } from "../zonedTime.ts";
import { defineOwnerTool } from "./coachTool.ts";
import { isoInstantArgument } from "./toolArguments.ts";

const DAY_MS = 86_400_000;

export const analyzeCalendarArguments = z.strictObject({
  range: z
    .enum(["today", "tomorrow", "this_week", "next_7_days"])
    .optional()
    .describe("this_week ends next Monday 00:00 local; default next_7_days"),
  from: isoInstantArgument.optional(),
  to: isoInstantArgument.optional(),
  minMinutes: z.number().int().min(15).max(240).optional().describe("Shortest useful slot (default 45)"),
});

export interface AnalyzeCalendarReturnType {
  timeZone: string;
  from: string;
  to: string;
  calendar: "uploaded" | "url" | "none";
  busyIntervals: number;
  minMinutes: number;
  slots: FreeSlot[];
}

export function resolveRange(
  range: "today" | "tomorrow" | "this_week" | "next_7_days",
  nowMs: number,
  timeZone: string,
): [number, number] {
  switch (range) {
    case "today":
      return [nowMs, startOfLocalDay(nowMs, timeZone, 1)];
    case "tomorrow":
      return [startOfLocalDay(nowMs, timeZone, 1), startOfLocalDay(nowMs, timeZone, 2)];
    case "this_week": {
      // Days until next Monday: local weekday 1 (Mon) → 7 days, 0 (Sun) → 1 day.
      const weekday = new Date(startOfLocalDay(nowMs, timeZone) + 12 * 3_600_000).getUTCDay();
      const daysLeft = weekday === 0 ? 1 : 8 - weekday;
      return [nowMs, startOfLocalDay(nowMs, timeZone, daysLeft)];
    }
    case "next_7_days":
      return [nowMs, nowMs + 7 * DAY_MS];
  }
}

export const analyzeCalendar = defineOwnerTool({
  name: "analyzeCalendar",
  description:
    "Free time slots in the user's calendar for a range (default the next 7 days), outside quiet hours, in the user's time zone.",
  parameters: analyzeCalendarArguments,
  run: async (args, { owner, deps, context, nowMs }): Promise<AnalyzeCalendarReturnType> => {
    let [fromMs, toMs] = resolveRange(args.range ?? "next_7_days", nowMs, context.timeZone);
    if (args.from !== undefined || args.to !== undefined) {
      fromMs = args.from === undefined ? nowMs : Date.parse(args.from);
      toMs = args.to === undefined ? fromMs + 7 * DAY_MS : Date.parse(args.to);
    }
    fromMs = Math.max(fromMs, nowMs);
    if (toMs <= fromMs || toMs - fromMs > 31 * DAY_MS) {
      throw new ValidationError({
        code: "invalid_range",
        message: "The range must end after now and span at most 31 days.",
        details: { field: "to" },
      });
    }
    const minMinutes = args.minMinutes ?? 45;
    const found = await findFreeSlots(deps, {
      owner,
      fromMs,
      toMs,
      timeZone: context.timeZone,
      preferences: context.preferences,
      minMinutes,
      maxSlots: 20,
    });
    return {
      ...rangeInZone(context.timeZone, fromMs, toMs),
      calendar: found.calendar,
      busyIntervals: found.busyIntervals,
      minMinutes,
      slots: found.slots,
    };
  },
});
