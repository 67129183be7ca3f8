import { describe, expect, it } from "vitest";
import { formatCountdown, formatDateTime, formatPeriod, fromUnix, toDateTimeLocal } from "./time.ts";

describe("formatCountdown", () => {
  it("shows the two largest units", () => {
    expect(formatCountdown((3 * 86_400 + 4 * 3600 + 5) * 1000)).toBe("3 d 4 h");
    expect(formatCountdown((5 * 3600 + 7 * 60) * 1000)).toBe("5 h 07 min");
    expect(formatCountdown((12 * 60 + 3) * 1000)).toBe("12 min 03 s");
    expect(formatCountdown(45_900)).toBe("45 s");
  });
  it("never goes negative", () => {
    expect(formatCountdown(-5000)).toBe("0 s");
  });
});

describe("formatPeriod", () => {
  it("names the largest whole unit", () => {
    expect(formatPeriod(604_800)).toBe("1 week");
    expect(formatPeriod(3 * 86_400)).toBe("3 days");
    expect(formatPeriod(3600)).toBe("1 hour");
    expect(formatPeriod(90 * 60)).toBe("90 minutes");
    expect(formatPeriod(61)).toBe("61 seconds");
  });
});

describe("dates", () => {
  it("formats in the given time zone", () => {
    expect(formatDateTime(new Date("2026-11-23T07:00:00Z"), "Europe/Berlin")).toBe("Mon, 23 Nov 2026, 08:00");
    expect(formatDateTime(fromUnix(0), "UTC")).toBe("Thu, 1 Jan 1970, 00:00");
  });
  it("writes datetime-local values in local time", () => {
    const d = new Date(2026, 10, 23, 6, 5);
    expect(toDateTimeLocal(d)).toBe("2026-11-23T06:05");
    expect(new Date(toDateTimeLocal(d)).getTime()).toBe(d.getTime());
  });
});
