import { expect } from "chai";
import { isoTime } from "../../src/services/workoutView.ts";

/** What isoTime always answered: `toISOString`, the fraction dropped on a whole second. */
function viaDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

const DAY_MS = 86_400_000;
const YEAR_10000_MS = Date.UTC(10_000, 0, 1);

describe("isoTime (services/workoutView.ts)", () => {
  it("writes the API's times as before: whole seconds without a fraction, ms with three digits", () => {
    expect(isoTime(Date.UTC(2026, 10, 23, 7))).to.equal("2026-11-23T07:00:00Z");
    expect(isoTime(Date.UTC(2026, 10, 23, 7, 5, 9, 7))).to.equal("2026-11-23T07:05:09.007Z");
    expect(isoTime(Date.UTC(2026, 10, 23, 7, 5, 9, 70))).to.equal("2026-11-23T07:05:09.070Z");
    expect(isoTime(0)).to.equal("1970-01-01T00:00:00Z");
    expect(isoTime(YEAR_10000_MS - 1)).to.equal("9999-12-31T23:59:59.999Z");
  });

  it("agrees with toISOString on every day from 1970 to 2400 (leap days and centuries) and across 9999", () => {
    for (let day = 0; day < 157_000; day += 1) {
      const ms = day * DAY_MS + ((day * 7_919_123) % DAY_MS);
      if (isoTime(ms) !== viaDate(ms)) expect(isoTime(ms)).to.equal(viaDate(ms));
      if (isoTime(day * DAY_MS) !== viaDate(day * DAY_MS))
        expect(isoTime(day * DAY_MS)).to.equal(viaDate(day * DAY_MS));
    }
    for (let i = 0; i < 200_000; i += 1) {
      const ms = Math.floor(Math.random() * YEAR_10000_MS);
      if (isoTime(ms) !== viaDate(ms)) expect(isoTime(ms)).to.equal(viaDate(ms));
    }
  });

  it("leaves other times to toISOString: before 1970, from year 10000, fractions of a ms; throws on an invalid time", () => {
    for (const ms of [
      -1,
      -DAY_MS * 400 + 5,
      YEAR_10000_MS,
      YEAR_10000_MS + 1234,
      8.64e15,
      1_700_000_000_000.6,
      -0,
    ]) {
      expect(isoTime(ms)).to.equal(viaDate(ms));
    }
    expect(isoTime(-1)).to.equal("1969-12-31T23:59:59.999Z");
    expect(isoTime(YEAR_10000_MS)).to.equal("+010000-01-01T00:00:00Z");
    expect(() => isoTime(Number.NaN)).to.throw(RangeError);
    expect(() => isoTime(8.64e15 + 1)).to.throw(RangeError);
  });
});
