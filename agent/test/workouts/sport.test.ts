import { expect } from "chai";
import { mapSport } from "../../src/workouts/sport.ts";

describe("mapSport", () => {
  const cases: [Parameters<typeof mapSport>[0], string | undefined][] = [
    // FIT sport / sub-sport enums, as the Garmin SDK names them.
    [{ sport: "running", subSport: "treadmill", source: "fit" }, "run"],
    [{ sport: "running", subSport: "trail", source: "fit" }, "run"],
    [{ sport: "fitnessEquipment", subSport: "treadmill", source: "fit" }, "run"],
    [{ sport: "cycling", subSport: "indoorCycling", source: "fit" }, "ride"],
    [{ sport: "cycling", subSport: "virtualActivity", source: "fit" }, "ride"],
    [{ sport: "cycling", subSport: "generic", source: "fit" }, "ride"],
    [{ sport: "walking", subSport: "generic", source: "fit" }, "walk"],
    [{ sport: "hiking", source: "fit" }, "walk"],
    [{ sport: "swimming", subSport: "lapSwimming", source: "fit" }, "swim"],
    [{ sport: "swimming", subSport: "openWater", source: "fit" }, "swim"],
    [{ sport: "training", subSport: "strengthTraining", source: "fit" }, "strength"],
    [{ sport: "training", subSport: "cardioTraining", source: "fit" }, "other"],
    [{ sport: "fitnessEquipment", subSport: "indoorRowing", source: "fit" }, "row"],
    [{ sport: "fitnessEquipment", subSport: "elliptical", source: "fit" }, "other"],
    [{ sport: "rowing", source: "fit" }, "row"],
    [{ sport: "standUpPaddleboarding", source: "fit" }, "other"],
    [{ sport: "eBiking", source: "fit" }, "other"],
    [{ sport: "generic", source: "fit" }, "other"],
    [{ sport: 254, source: "fit" }, "other"],
    [{ sport: "transition", source: "fit" }, undefined],
    // TCX Sport attribute.
    [{ sport: "Running", source: "tcx" }, "run"],
    [{ sport: "Biking", source: "tcx" }, "ride"],
    [{ sport: "Other", source: "tcx" }, "other"],
    // GPX <type>: words in any spelling, Strava's numbers.
    [{ sport: "Running", source: "gpx" }, "run"],
    [{ sport: "trail_running", source: "gpx" }, "run"],
    [{ sport: "road_biking", source: "gpx" }, "ride"],
    [{ sport: "9", source: "gpx" }, "run"],
    [{ sport: "16", source: "gpx" }, "swim"],
    [{ sport: "1", source: "gpx" }, "ride"],
    [{ sport: "1", source: "fit" }, "other"],
    [{ sport: undefined, source: "gpx" }, "other"],
    [{ sport: "", source: "gpx" }, "other"],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => {
      expect(mapSport(input)).to.equal(expected);
    });
  }
});
