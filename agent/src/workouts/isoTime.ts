/**
 * Parses the xsd:dateTime timestamps of GPX and TCX strictly: `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`.
 * A timestamp without an offset is UTC (the GPX and TCX schemas say so; `Date.parse` would read it as the
 * server's local time). Anything else, or an impossible date such as February 30, gives `undefined`.
 * Absurd but well-formed dates (1901) are returned as they are: judging them is the verifier's job. Instants
 * before 0001-01-01T00:00:00Z (year 0, negative years) are `undefined`: no store keeps them faithfully
 * (PostgreSQL reads year 0 back as 1 BC, and a driver as 2001).
 */
export type ParseIsoTimeParameters = Parameters<typeof parseIsoTime>;
export type ParseIsoTimeReturnType = number | undefined;

const ISO_DATE_TIME =
  /^\s*(-?\d{4,6})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** 0001-01-01T00:00:00Z: the first instant a timestamp may name. */
export const YEAR_ONE_MS = -62_135_596_800_000;

/** True for an ISO 8601 date-time at or after 0001-01-01T00:00:00Z (and one Date.parse reads). */
export function isFromYearOne(value: string): boolean {
  const time = Date.parse(value);
  return Number.isFinite(time) && time >= YEAR_ONE_MS;
}

/** Milliseconds of a three-digit fraction, computed as parseIsoTime computes any fraction. */
const THREE_DIGIT_FRACTION_MS = Array.from({ length: 1000 }, (_, i) =>
  Math.floor(Number(`0.${String(i).padStart(3, "0")}`) * 1000),
);

/** The number written by `count` ASCII digits at `from`; -1 when one of them is no digit. */
function digitsAt(value: string, from: number, count: number): number {
  let result = 0;
  for (let i = from; i < from + count; i += 1) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    result = result * 10 + digit;
  }
  return result;
}

const MS_PER_DAY = 86_400_000;

/**
 * Date.UTC(year, month - 1, day, hour, minute, second, ms) for a valid date of a year from 100 to 9999, without
 * the builtin call (half of reading a timestamp): the day number by the days-from-civil algorithm, then the
 * same exact integer arithmetic the specification's MakeDay / MakeTime / MakeDate do, so the same number
 * (isoTime.test.ts compares every day of those years).
 */
export function utcMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146_097 + dayOfEra - 719_468;
  return days * MS_PER_DAY + (hour * 3_600_000 + minute * 60_000 + second * 1000 + ms);
}

/**
 * The form nearly every GPX and TCX file writes, `YYYY-MM-DDThh:mm:ss[.fraction]Z` with a year from 0100, read
 * without a regular expression; `null` for any other text (parseIsoTime then reads it the general way). Gives
 * exactly what the general way gives.
 */
function parseCommonIsoTime(value: string): number | undefined | null {
  const n = value.length;
  if (n < 20 || value.charCodeAt(n - 1) !== 0x5a /* Z */) return null;
  if (value[4] !== "-" || value[7] !== "-" || value[10] !== "T" || value[13] !== ":" || value[16] !== ":")
    return null;
  const y = digitsAt(value, 0, 4);
  const mo = digitsAt(value, 5, 2);
  const d = digitsAt(value, 8, 2);
  const h = digitsAt(value, 11, 2);
  const mi = digitsAt(value, 14, 2);
  const s = digitsAt(value, 17, 2);
  if (y < 100 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return null;
  let ms = 0;
  if (n > 20) {
    if (n === 21 || value[19] !== "." || digitsAt(value, 20, n - 21) < 0) return null;
    ms =
      n === 24
        ? (THREE_DIGIT_FRACTION_MS[digitsAt(value, 20, 3)] ?? 0)
        : Math.floor(Number(`0.${value.slice(20, n - 1)}`) * 1000);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const time = utcMs(y, mo, d, h, mi, s, ms);
  return Number.isFinite(time) && time >= YEAR_ONE_MS ? time : undefined;
}

export function parseIsoTime(value: string): number | undefined {
  const common = parseCommonIsoTime(value);
  if (common !== null) return common;
  const match = ISO_DATE_TIME.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const utc =
    y >= 100
      ? Date.UTC(y, mo - 1, d, h, mi, s, ms)
      : new Date(0).setUTCFullYear(y, mo - 1, d) + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  let offsetMin = 0;
  if (zone !== undefined && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 14 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  const time = utc - offsetMin * 60_000;
  return Number.isFinite(time) && time >= YEAR_ONE_MS ? time : undefined;
}
