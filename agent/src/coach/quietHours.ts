/**
 * Quiet hours: a daily local-time span `[startMin, endMin)` (minutes after midnight) during which the coach
 * never nudges. It may wrap midnight (22:00-07:00); `startMin === endMin` means no quiet hours.
 */
import { localParts } from "./zonedTime.ts";

export interface QuietHours {
  startMin: number;
  endMin: number;
}

export function minuteOfDayAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return p.hour * 60 + p.minute;
}

export function isQuietMinute(minute: number, quiet: QuietHours): boolean {
  if (quiet.startMin === quiet.endMin) return false;
  return quiet.startMin < quiet.endMin
    ? minute >= quiet.startMin && minute < quiet.endMin
    : minute >= quiet.startMin || minute < quiet.endMin;
}

export function isQuietAt(ms: number, timeZone: string, quiet: QuietHours): boolean {
  return isQuietMinute(minuteOfDayAt(ms, timeZone), quiet);
}
