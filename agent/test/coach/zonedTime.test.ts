import { expect } from "chai";
import { isQuietAt, isQuietMinute } from "../../src/coach/quietHours.ts";
import {
  formatLocal,
  formatLocalRange,
  localParts,
  startOfLocalDay,
  zonedToEpoch,
} from "../../src/coach/zonedTime.ts";

describe("coach zoned time", () => {
  it("reads local parts and formats in the zone", () => {
    const ms = Date.parse("2026-11-26T17:00:00Z");
    expect(localParts(ms, "Europe/Berlin")).to.include({
      year: 2026,
      month: 11,
      day: 26,
      hour: 18,
      weekday: 4,
    });
    expect(formatLocal(ms, "Europe/Berlin")).to.equal("Thu 26 Nov 18:00");
    expect(formatLocalRange(ms, ms + 3_600_000, "Europe/Berlin")).to.equal("Thu 26 Nov 18:00-19:00");
  });

  it("maps wall times to instants across DST changes", () => {
    expect(zonedToEpoch({ year: 2026, month: 11, day: 26, hour: 18 }, "Europe/Berlin")).to.equal(
      Date.parse("2026-11-26T17:00:00Z"),
    );
    expect(zonedToEpoch({ year: 2026, month: 7, day: 1, hour: 18 }, "Europe/Berlin")).to.equal(
      Date.parse("2026-07-01T16:00:00Z"),
    );
    // 2026-03-29 02:30 does not exist in Berlin: moved forward to 03:30 CEST (01:30 UTC).
    expect(zonedToEpoch({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, "Europe/Berlin")).to.equal(
      Date.parse("2026-03-29T01:30:00Z"),
    );
    expect(zonedToEpoch({ year: 2026, month: 11, day: 1, hour: 9 }, "America/New_York")).to.equal(
      Date.parse("2026-11-01T14:00:00Z"),
    );
  });

  it("finds local midnight", () => {
    expect(startOfLocalDay(Date.parse("2026-11-23T07:00:00Z"), "Europe/Berlin")).to.equal(
      Date.parse("2026-11-22T23:00:00Z"),
    );
    expect(startOfLocalDay(Date.parse("2026-11-23T07:00:00Z"), "Europe/Berlin", 1)).to.equal(
      Date.parse("2026-11-23T23:00:00Z"),
    );
  });

  it("knows quiet hours, also across midnight", () => {
    const quiet = { startMin: 22 * 60, endMin: 7 * 60 };
    expect(isQuietMinute(23 * 60, quiet)).to.equal(true);
    expect(isQuietMinute(6 * 60 + 59, quiet)).to.equal(true);
    expect(isQuietMinute(7 * 60, quiet)).to.equal(false);
    expect(isQuietMinute(12 * 60, { startMin: 12 * 60, endMin: 13 * 60 })).to.equal(true);
    expect(isQuietMinute(12 * 60, { startMin: 0, endMin: 0 })).to.equal(false);
    // 06:30 UTC is 07:30 in Berlin: quiet in UTC, not there.
    const ms = Date.parse("2026-11-23T06:30:00Z");
    expect(isQuietAt(ms, "Europe/Berlin", quiet)).to.equal(false);
    expect(isQuietAt(ms, "UTC", quiet)).to.equal(true);
  });
});
