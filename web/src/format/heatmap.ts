/** Workouts per day for a calendar heatmap: the last `weeks` weeks ending today, Monday-first columns. */

export interface HeatmapDay {
  /** YYYY-MM-DD in the given time zone. */
  date: string;
  count: number;
  /** 0 (none) to 3 (most). */
  level: 0 | 1 | 2 | 3;
}

/** YYYY-MM-DD of an instant in a time zone. */
export function localDate(instant: Date, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(instant);
}

export function heatmapDays(
  startTimes: readonly Date[],
  today: Date,
  weeks: number,
  timeZone?: string,
): HeatmapDay[] {
  const counts = new Map<string, number>();
  for (const t of startTimes) {
    const key = localDate(t, timeZone);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // Start on the Monday `weeks - 1` weeks before this week's Monday (dates computed at UTC noon: no DST edges).
  const todayKey = localDate(today, timeZone);
  const base = new Date(`${todayKey}T12:00:00Z`);
  const dayOfWeek = (base.getUTCDay() + 6) % 7;
  const first = new Date(base.getTime() - (dayOfWeek + (weeks - 1) * 7) * 86_400_000);
  const days: HeatmapDay[] = [];
  for (let i = 0; i < weeks * 7; i++) {
    const date = new Date(first.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    if (date > todayKey) break;
    const count = counts.get(date) ?? 0;
    days.push({ date, count, level: count === 0 ? 0 : count === 1 ? 1 : count === 2 ? 2 : 3 });
  }
  return days;
}
