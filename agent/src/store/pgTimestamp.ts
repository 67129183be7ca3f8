/**
 * Reads PostgreSQL's text form of a `timestamp with time zone` (DateStyle ISO, what PGlite and PostgreSQL send:
 * `2026-03-05 10:00:00.123456+00`, `+05:30`, `-03`, a local-mean-time offset with seconds such as `+00:19:32`, a
 * ` BC` suffix) as the exact instant, for every year.
 *
 * Why not `new Date(text)`, as drizzle's own timestamp column does: that string is not ISO 8601, so V8 reads it
 * with its legacy parser, which takes a year below 100 for something else. A workout logged in year 26 was stored
 * faithfully and then read back as an invalid date (every list of its owner's workouts answered 500 from then on),
 * year 1 as 2005-01-03, year 50 as 1950 (docs/reliability.md, bug 27).
 *
 * Any other text (`infinity`, a DateStyle the agent never sets) is left to `new Date(text)`, as before.
 */
export type ParsePgTimestamptzParameters = Parameters<typeof parsePgTimestamptz>;
export type ParsePgTimestamptzReturnType = Date;

const PG_TIMESTAMPTZ =
  /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([+-])(\d{2})(?::(\d{2}))?(?::(\d{2}))?( BC)?$/;

export function parsePgTimestamptz(text: string): ParsePgTimestamptzReturnType {
  const match = PG_TIMESTAMPTZ.exec(text);
  if (match === null) return new Date(text);
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second,
    fraction = "",
    sign,
    offsetHours,
    offsetMinutes,
    offsetSeconds,
    bc,
  ] = match;
  // 1 BC is year 0 (astronomical numbering). Sub-millisecond digits are dropped, as `new Date` drops them.
  const fullYear = bc === undefined ? Number(year) : 1 - Number(year);
  const ms = fraction === "" ? 0 : Number(fraction.padEnd(3, "0").slice(0, 3));
  let local: number;
  if (fullYear >= 0 && fullYear < 100) {
    // `Date.UTC` takes years 0-99 for 1900-1999; `setUTCFullYear` takes them as they are.
    const date = new Date(0);
    date.setUTCFullYear(fullYear, Number(month) - 1, Number(day));
    local = date.setUTCHours(Number(hour), Number(minute), Number(second), ms);
  } else {
    local = Date.UTC(
      fullYear,
      Number(month) - 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
      ms,
    );
  }
  const offsetMs =
    (Number(offsetHours) * 3_600 + Number(offsetMinutes ?? 0) * 60 + Number(offsetSeconds ?? 0)) *
    1_000 *
    (sign === "-" ? -1 : 1);
  return new Date(local - offsetMs);
}
