/**
 * Sport inference (inferSport.ts) over real-world shapes generated here: GPX files without <type>, TCX
 * `Sport="Other"` swims, walks and strength sessions, FIT files without a session or with sport `generic`. Each is
 * either inferred right, with the basis in its message, or left `other` with the reason.
 */
import { expect } from "chai";
import { INFERENCE_MIN_CONFIDENCE, inferSport, settleSport } from "../../src/workouts/inferSport.ts";
import { type ParsedWorkout, parseWorkoutFile } from "../../src/workouts/parseWorkoutFile.ts";
import { leavesSportOpen } from "../../src/workouts/sport.ts";
import { encodeFit, METRES_PER_DEGREE_LAT, T0, type TrackPoint, track, utf8 } from "./fixtures.ts";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A GPX track without <type> (or with `type`), with heart rate, cadence and elevation when the points have them. */
function gpxFile(
  points: TrackPoint[],
  options: { type?: string; creator?: string; name?: string } = {},
): string {
  const trkpts = points
    .map((p) => {
      const ext: string[] = [];
      if (p.heartRate !== undefined) ext.push(`<gpxtpx:hr>${p.heartRate}</gpxtpx:hr>`);
      if (p.cadence !== undefined) ext.push(`<gpxtpx:cad>${p.cadence}</gpxtpx:cad>`);
      const extensions =
        ext.length > 0
          ? `<extensions><gpxtpx:TrackPointExtension>${ext.join("")}</gpxtpx:TrackPointExtension></extensions>`
          : "";
      const ele = p.ele !== undefined ? `<ele>${p.ele.toFixed(1)}</ele>` : "";
      return `<trkpt lat="${(p.lat ?? 0).toFixed(7)}" lon="${(p.lon ?? 0).toFixed(7)}">${ele}<time>${iso(p.time ?? 0)}</time>${extensions}</trkpt>`;
    })
    .join("\n");
  const type = options.type !== undefined ? `<type>${options.type}</type>` : "";
  return `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="${options.creator ?? "test"}" xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
<trk><name>${options.name ?? "Track"}</name>${type}<trkseg>${trkpts}</trkseg></trk>
</gpx>
`;
}

interface TcxOtherParameters {
  points: TrackPoint[];
  totalTimeSec: number;
  /** Lap <LX><AvgRunCadence> (steps of one foot per minute), as Garmin writes it for walks. */
  lapRunCadence?: number;
}

/** A TCX activity with `Sport="Other"`: the only word TCX has for anything but running and biking. */
function tcxOther({ points, totalTimeSec, lapRunCadence }: TcxOtherParameters): string {
  const trackpoints = points
    .map((p) => {
      const parts = [`<Time>${iso(p.time ?? 0)}</Time>`];
      if (p.lat !== undefined && p.lon !== undefined) {
        parts.push(
          `<Position><LatitudeDegrees>${p.lat}</LatitudeDegrees><LongitudeDegrees>${p.lon}</LongitudeDegrees></Position>`,
        );
      }
      if (p.ele !== undefined) parts.push(`<AltitudeMeters>${p.ele}</AltitudeMeters>`);
      if (p.distance !== undefined) parts.push(`<DistanceMeters>${p.distance}</DistanceMeters>`);
      if (p.heartRate !== undefined) parts.push(`<HeartRateBpm><Value>${p.heartRate}</Value></HeartRateBpm>`);
      return `<Trackpoint>${parts.join("")}</Trackpoint>`;
    })
    .join("\n");
  const lx =
    lapRunCadence !== undefined
      ? `<Extensions><ns3:LX><ns3:AvgRunCadence>${lapRunCadence}</ns3:AvgRunCadence></ns3:LX></Extensions>`
      : "";
  const start = points[0]?.time ?? T0;
  return `<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
<Activities><Activity Sport="Other"><Id>${iso(start)}</Id>
<Lap StartTime="${iso(start)}"><TotalTimeSeconds>${totalTimeSec}</TotalTimeSeconds><Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>
${trackpoints}
</Track>${lx}</Lap></Activity></Activities>
</TrainingCenterDatabase>
`;
}

function only(bytes: Uint8Array | string): ParsedWorkout {
  const [activity, ...rest] = parseWorkoutFile(typeof bytes === "string" ? utf8(bytes) : bytes);
  expect(rest).to.deep.equal([]);
  if (activity === undefined) throw new Error("no activity");
  return activity;
}

/** A pool swim as Garmin's TCX writes it: one trackpoint per length, no GPS, the distance in whole lengths. */
function poolSwim(lengthM: number, lengths: number, secondsPerLength: (i: number) => number): TrackPoint[] {
  const points: TrackPoint[] = [{ time: T0, distance: 0 }];
  let t = T0;
  for (let i = 1; i <= lengths; i += 1) {
    t += secondsPerLength(i) * 1000;
    points.push({ time: t, distance: i * lengthM });
  }
  return points;
}

describe("inferSport", () => {
  describe("files that name no sport", () => {
    it("infers a run from a GPX without <type>: pace, GPS and a working heart rate (Garmin Connect export)", () => {
      const points = track({
        start: T0,
        seconds: 1800,
        speedMps: 3.25,
        heartRate: (s) => 140 + (s % 20),
      });
      const activity = only(gpxFile(points));
      expect(activity.sport).to.equal("other");
      const settled = settleSport(activity);
      expect(settled.origin).to.equal("inferred");
      expect(settled.sport).to.equal("run");
      expect(settled.inference?.message).to.match(
        /^sport inferred: run — median pace \d:\d\d \/km, GPS, heart rate 1[45]\d bpm \(confidence 0\.75\)$/,
      );
    });

    it("infers a run from a GPX with step cadence, and says the cadence in steps per minute", () => {
      const points = track({ start: T0, seconds: 1800, speedMps: 3.2 }).map((p) => ({ ...p, cadence: 84 }));
      const inference = inferSport(only(gpxFile(points)));
      expect(inference.sport).to.equal("run");
      expect(inference.basis).to.include("cadence 170 spm");
      expect(inference.confidence).to.be.at.least(INFERENCE_MIN_CONFIDENCE);
    });

    it("leaves a GPX at walking pace without cadence or climbing `other`, saying why (it could be paddling)", () => {
      const points = track({
        start: T0,
        seconds: 1800,
        speedMps: 1.1,
        heartRate: 90,
      });
      const inference = inferSport(only(gpxFile(points)));
      expect(inference.sport).to.equal("other");
      expect(inference.candidate).to.equal("walk");
      expect(inference.confidence).to.be.below(INFERENCE_MIN_CONFIDENCE);
      expect(inference.message).to.match(
        /^sport not inferred \(confidence 0\.50, needs 0\.60\): walking pace/,
      );
    });

    it("infers a hike (walk) from walking pace and a steady climb", () => {
      const points = track({
        start: T0,
        seconds: 3600,
        speedMps: 1.2,
        ele: (s) => 500 + s * 0.12,
      });
      const inference = inferSport(only(gpxFile(points)));
      expect(inference.sport).to.equal("walk");
      expect(inference.basis.some((b) => /^climbing \d+ m\/km$/.test(b))).to.equal(true);
    });

    it("leaves a drive `other`: faster than any sport, or a tenth of the time above 60 km/h", () => {
      const fast = inferSport(only(gpxFile(track({ start: T0, seconds: 600, speedMps: 22 }))));
      expect(fast.sport).to.equal("other");
      expect(fast.message).to.contain("faster than any sport the rules know");
      // 28 km/h in town, then a stretch at 90 km/h on the highway.
      const town = track({ start: T0, seconds: 600, speedMps: 8 });
      const highway = track({
        start: T0 + 601_000,
        seconds: 150,
        speedMps: 25,
        lat0: 47 + (8 * 601) / METRES_PER_DEGREE_LAT,
      });
      const drive = inferSport(only(gpxFile([...town, ...highway])));
      expect(drive.sport).to.equal("other");
      expect(drive.message).to.contain("a motor vehicle, not a sport");
    });

    it("leaves 40 seconds of track `other`: too little to tell", () => {
      const inference = inferSport(only(gpxFile(track({ start: T0, seconds: 40, speedMps: 1.5 }))));
      expect(inference.sport).to.equal("other");
      expect(inference.message).to.equal("sport not inferred: 40 s of movement is too little to tell");
    });

    it("infers a pool swim from a TCX `Other` with 25 m lengths and no GPS", () => {
      const activity = only(
        tcxOther({
          points: poolSwim(25, 40, (i) => 24 + (i % 3)),
          totalTimeSec: 1000,
        }),
      );
      expect(activity.sport).to.equal("other");
      expect(activity.deviceSport).to.equal("Other");
      const settled = settleSport(activity);
      expect(settled).to.include({ sport: "swim", origin: "inferred" });
      expect(settled.inference?.message).to.match(
        /^sport inferred: swim — 40 lengths, 100% of them 25 m, median pace 1:\d\d \/100 m, no GPS \(confidence 0\.90\)$/,
      );
    });

    it("infers a walk from a TCX `Other` whose laps carry a step cadence (Garmin's AvgRunCadence)", () => {
      const points = track({
        start: T0,
        seconds: 2400,
        speedMps: 1.3,
        heartRate: 95,
      });
      const inference = inferSport(only(tcxOther({ points, totalTimeSec: 2400, lapRunCadence: 55 })));
      expect(inference.sport).to.equal("walk");
      expect(inference.basis).to.include("cadence 110 spm");
    });

    it("infers strength from a TCX `Other` in one place with a heart rate swinging between sets", () => {
      const points = track({
        start: T0,
        seconds: 2400,
        intervalSec: 2,
        speedMps: 0,
        withPosition: false,
        heartRate: (s) => (Math.floor(s / 90) % 2 === 0 ? 125 : 95),
      });
      const inference = inferSport(only(tcxOther({ points, totalTimeSec: 2400 })));
      expect(inference.sport).to.equal("strength");
      expect(inference.message).to.match(/^sport inferred: strength — no movement, heart rate \d+ bpm/);
    });

    it("leaves a TCX `Other` in one place with a low, steady heart rate `other` (yoga looks like that too)", () => {
      const points = track({
        start: T0,
        seconds: 2400,
        intervalSec: 2,
        speedMps: 0,
        withPosition: false,
        heartRate: 80,
      });
      const inference = inferSport(only(tcxOther({ points, totalTimeSec: 2400 })));
      expect(inference.sport).to.equal("other");
      expect(inference.candidate).to.equal("strength");
      expect(inference.message).to.contain("could be any session in one place");
    });

    it("infers a ride from a FIT without any session message (unfinalised Zwift): power, pedal cadence, speed", () => {
      const records = track({
        start: T0,
        seconds: 1800,
        speedMps: 9,
        withDistance: true,
        heartRate: 150,
      }).map((p) => ({ ...p, power: 220, cadence: 88 }));
      const activity = only(encodeFit({ timeCreated: T0, records, sessions: [] }));
      expect(activity.sport).to.equal("other");
      expect(activity.deviceSport).to.equal(undefined);
      const settled = settleSport(activity);
      expect(settled).to.include({ sport: "ride", origin: "inferred" });
      expect(settled.inference?.basis).to.deep.equal(["median speed 32.9 km/h", "cadence 89 rpm", "power"]);
    });

    it("infers a row from a FIT `generic` session with a stroke rate at rowing speed", () => {
      const records = track({
        start: T0,
        seconds: 1800,
        speedMps: 3.4,
        withDistance: true,
      }).map((p) => ({
        ...p,
        cadence: 24,
      }));
      const activity = only(
        encodeFit({
          timeCreated: T0,
          records,
          sessions: [
            {
              sport: "generic",
              start: T0,
              timerSec: 1800,
              elapsedSec: 1800,
              distanceM: 6120,
            },
          ],
        }),
      );
      expect(activity.deviceSport).to.equal("generic");
      const settled = settleSport(activity);
      expect(settled).to.include({ sport: "row", origin: "inferred" });
      expect(settled.inference?.message).to.contain("stroke rate 25 /min");
    });
  });

  describe("files that name a sport", () => {
    it("keeps the file's sport, even one the product has no word for (`named`, no inference)", () => {
      const points = track({ start: T0, seconds: 1800, speedMps: 3.2 });
      expect(settleSport(only(gpxFile(points, { type: "running" })))).to.deep.equal({
        sport: "run",
        origin: "named",
      });
      expect(settleSport(only(gpxFile(points, { type: "StandUpPaddling" })))).to.deep.equal({
        sport: "other",
        origin: "named",
      });
    });
  });

  describe("leavesSportOpen", () => {
    const cases: [string | undefined, "fit" | "gpx" | "tcx" | undefined, boolean][] = [
      [undefined, "gpx", true],
      ["", "gpx", true],
      ["Other", "tcx", true],
      ["generic", "fit", true],
      ["generic/generic", "fit", true],
      ["Uncategorized", "gpx", true],
      ["11", "gpx", true],
      ["11", "fit", false],
      ["generic/indoorRowing", "fit", false],
      ["StandUpPaddling", "gpx", false],
      ["Running", "tcx", false],
    ];
    for (const [label, source, open] of cases) {
      it(`${JSON.stringify(label)} (${source}) ${open ? "leaves the sport open" : "names a sport"}`, () => {
        expect(leavesSportOpen(label, source)).to.equal(open);
      });
    }
  });

  describe("GPX sport labels of the common exporters", () => {
    const points = track({ start: T0, seconds: 600, speedMps: 3 });
    const cases: [string, { type?: string; creator?: string; name?: string; extra?: string }, string][] = [
      ["Strava numeric 9", { type: "9" }, "run"],
      ["Strava numeric 1", { type: "1" }, "ride"],
      ["Strava numeric 23", { type: "23" }, "row"],
      ["Strava numeric 30", { type: "30" }, "strength"],
      ["Strava text TrailRun", { type: "TrailRun" }, "run"],
      ["Strava text EBikeRide (motor)", { type: "EBikeRide" }, "other"],
      ["Garmin Connect open_water_swimming", { type: "open_water_swimming" }, "swim"],
      ["Garmin Connect strength_training", { type: "strength_training" }, "strength"],
      ["Komoot jogging", { type: "jogging" }, "run"],
      ["Komoot touringbicycle", { type: "touringbicycle" }, "ride"],
      ["Komoot e_mtb (motor)", { type: "e_mtb" }, "other"],
      ["Apple Health HKWorkoutActivityTypeWalking", { type: "HKWorkoutActivityTypeWalking" }, "walk"],
      ["Apple Workout app Outdoor Cycle", { type: "Outdoor Cycle" }, "ride"],
      [
        "Runkeeper name",
        {
          creator: "Runkeeper - http://www.runkeeper.com",
          name: "Running 9/13/14 7:57 am",
        },
        "run",
      ],
      [
        "Runkeeper name Strength Training",
        { creator: "Runkeeper", name: "Strength Training 1/2/20 6:00 pm" },
        "strength",
      ],
    ];
    for (const [label, options, expected] of cases) {
      it(`${label} → ${expected}`, () => {
        expect(only(gpxFile(points, options)).sport).to.equal(expected);
      });
    }

    it("OsmAnd's <osmand:activity> in the track's extensions", () => {
      const file = gpxFile(points).replace(
        "<trk><name>Track</name>",
        '<trk><name>Track</name><extensions><osmand:activity xmlns:osmand="https://osmand.net">cycling</osmand:activity></extensions>',
      );
      expect(only(file)).to.include({ sport: "ride", deviceSport: "cycling" });
    });

    it("a name that is not Runkeeper's, or not from Runkeeper, names nothing", () => {
      expect(only(gpxFile(points, { name: "Running 9/13/14 7:57 am" })).sport).to.equal("other");
      expect(only(gpxFile(points, { creator: "Runkeeper", name: "Morning" })).sport).to.equal("other");
    });
  });
});
