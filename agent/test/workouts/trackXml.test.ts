import { expect } from "chai";
import { newSamplePoint } from "../../src/workouts/sampleSummary.ts";
import { type SampleField, setSampleField } from "../../src/workouts/trackXml.ts";

describe("trackXml", () => {
  it("sets every sample field from its text: numbers, the ISO time, and no value for blank or bad text", () => {
    const fields: SampleField[] = ["altitudeM", "distanceM", "speedMps", "heartRate", "powerW", "cadence"];
    for (const field of fields) {
      const point = newSamplePoint(1, 2);
      setSampleField(point, field, " 12.5 ");
      expect(point, field).to.deep.equal({ ...newSamplePoint(1, 2), [field]: 12.5 });
      setSampleField(point, field, "  ");
      expect(point[field], field).to.equal(undefined);
      setSampleField(point, field, "x");
      expect(point[field], field).to.equal(undefined);
    }
    const point = newSamplePoint();
    setSampleField(point, "time", "2026-03-02T07:00:00.250Z");
    expect(point).to.deep.equal({ ...newSamplePoint(), time: Date.parse("2026-03-02T07:00:00.250Z") });
  });

  it("makes every point with all fields present, in one order", () => {
    expect(Object.keys(newSamplePoint())).to.deep.equal([
      "time",
      "lat",
      "lon",
      "altitudeM",
      "distanceM",
      "speedMps",
      "heartRate",
      "powerW",
      "cadence",
    ]);
    expect(newSamplePoint(45, 7)).to.include({ lat: 45, lon: 7 });
  });
});
