import { expect } from "chai";
import { parseIsoTime, utcMs } from "../../src/workouts/isoTime.ts";

describe("parseIsoTime", () => {
  it("computes Date.UTC of every day of the years 100 to 9999 without calling it (utcMs)", () => {
    let checked = 0;
    for (let year = 100; year <= 9999; year += 1) {
      for (let month = 1; month <= 12; month += 1) {
        const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
        for (let day = 1; day <= days; day += 1) {
          const hour = (year + day) % 24;
          const minute = (month * 7 + day) % 60;
          const second = (year * 3 + day) % 60;
          const ms = (year * 7 + month * 13 + day) % 1000;
          if (
            utcMs(year, month, day, hour, minute, second, ms) !==
            Date.UTC(year, month - 1, day, hour, minute, second, ms)
          )
            expect.fail(`${year}-${month}-${day}`);
          checked += 1;
        }
      }
    }
    expect(checked).to.equal(3_615_900);
    expect(utcMs(1970, 1, 1, 0, 0, 0, 0)).to.equal(0);
    expect(utcMs(9999, 12, 31, 23, 59, 59, 999)).to.equal(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  });

  it("reads UTC, offsets and fractions to the millisecond", () => {
    expect(parseIsoTime("2020-12-27T15:43:49.000+01:00")).to.equal(Date.UTC(2020, 11, 27, 14, 43, 49));
    expect(parseIsoTime("2020-12-27T15:43:49-0530")).to.equal(Date.UTC(2020, 11, 27, 21, 13, 49));
    expect(parseIsoTime("2012-10-24T23:29:40.123Z")).to.equal(Date.UTC(2012, 9, 24, 23, 29, 40, 123));
    expect(parseIsoTime(" 2012-10-24T23:29:40Z\n")).to.equal(Date.UTC(2012, 9, 24, 23, 29, 40));
  });

  it("treats a timestamp without offset as UTC (the GPX and TCX schemas say so)", () => {
    expect(parseIsoTime("2020-01-01T10:00:00")).to.equal(Date.UTC(2020, 0, 1, 10));
  });

  it("returns absurd but well-formed dates as they are (GPSBabel's 1901 = -2^31 s)", () => {
    expect(parseIsoTime("1901-12-13T20:45:52.2073437Z")).to.equal(-(2 ** 31) * 1000 + 207);
  });

  it("rejects malformed and impossible timestamps", () => {
    for (const value of [
      "",
      "yesterday",
      "2020-02-30T00:00:00Z",
      "2020-13-01T00:00:00Z",
      "2020-01-01",
      "1577872800",
    ]) {
      expect(parseIsoTime(value), value).to.equal(undefined);
    }
  });

  it("reads the common `...Z` form on its fast path exactly as the general way does", () => {
    // Fast path: YYYY-MM-DDThh:mm:ss[.fraction]Z. Every other spelling goes the general way.
    expect(parseIsoTime("2018-05-14T09:54:12Z")).to.equal(Date.UTC(2018, 4, 14, 9, 54, 12));
    expect(parseIsoTime("2018-05-14T09:54:12.5Z")).to.equal(Date.UTC(2018, 4, 14, 9, 54, 12, 500));
    expect(parseIsoTime("2018-05-14T09:54:12.999Z")).to.equal(Date.UTC(2018, 4, 14, 9, 54, 12, 999));
    expect(parseIsoTime("2018-05-14T09:54:12.0299999Z")).to.equal(Date.UTC(2018, 4, 14, 9, 54, 12, 29));
    for (let ms = 0; ms < 1000; ms += 1) {
      const fraction = String(ms).padStart(3, "0");
      expect(parseIsoTime(`2020-01-01T00:00:00.${fraction}Z`), fraction).to.equal(
        parseIsoTime(`2020-01-01T00:00:00.${fraction}+00:00`),
      );
    }
    expect(parseIsoTime("2019-02-29T00:00:00Z")).to.equal(undefined);
    expect(parseIsoTime("2020-02-29T23:59:59Z")).to.equal(Date.UTC(2020, 1, 29, 23, 59, 59));
    expect(parseIsoTime("2020-01-01T24:00:00Z")).to.equal(undefined);
    expect(parseIsoTime("2020-01-01T00:00:00.Z")).to.equal(undefined);
    expect(parseIsoTime("2020-01-01T00:00:00,5Z")).to.equal(Date.UTC(2020, 0, 1, 0, 0, 0, 500));
    expect(parseIsoTime("0050-01-01T00:00:00Z")).to.equal(new Date(0).setUTCFullYear(50, 0, 1));
    expect(parseIsoTime("2020-01-0xT00:00:00Z")).to.equal(undefined);
  });
});
