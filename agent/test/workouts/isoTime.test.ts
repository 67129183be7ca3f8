import { expect } from "chai";
import { parseIsoTime } from "../../src/workouts/isoTime.ts";

describe("parseIsoTime", () => {
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
});
