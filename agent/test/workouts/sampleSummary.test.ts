import { expect } from "chai";
import {
  buildSampleSummary,
  builtSampleSummarySchema,
  cosOfLatitude,
  haversineCosM,
  haversineM,
  MAX_JUMPS,
  MAX_PREVIEW_POINTS,
  SampleSummaryBuilder,
  SPEED_BIN_MPS,
  sampleSummarySchema,
} from "../../src/workouts/sampleSummary.ts";
import { METRES_PER_DEGREE_LAT, prng, samplePoints, T0, track } from "./fixtures.ts";

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe("sampleSummary", () => {
  it("measures distance along a meridian exactly (haversine)", () => {
    expect(haversineM(47, 8, 47 + 1000 / METRES_PER_DEGREE_LAT, 8)).to.be.closeTo(1000, 1e-6);
  });

  it("gives the very same double with the latitudes' cosines given (haversineCosM) as haversineM computed", () => {
    // haversineM as it was before the cosines could be given: the reference, operation for operation.
    const RAD = Math.PI / 180;
    const reference = (lat1: number, lon1: number, lat2: number, lon2: number) => {
      const dLat = (lat2 - lat1) * RAD;
      const dLon = (lon2 - lon1) * RAD;
      const h =
        Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
      return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
    };
    const random = prng(99);
    for (let i = 0; i < 50_000; i += 1) {
      const lat1 = random() * 180 - 90;
      const lon1 = random() * 360 - 180;
      const near = random() < 0.5;
      const lat2 = near ? lat1 + (random() - 0.5) * 1e-3 : random() * 180 - 90;
      const lon2 = near ? lon1 + (random() - 0.5) * 1e-3 : random() * 360 - 180;
      const expected = reference(lat1, lon1, lat2, lon2);
      expect(haversineM(lat1, lon1, lat2, lon2)).to.equal(expected);
      expect(haversineCosM(lat1, lon1, cosOfLatitude(lat1), lat2, lon2, cosOfLatitude(lat2))).to.equal(
        expected,
      );
    }
  });

  it("gives a new track and preview array from each finish", () => {
    const builder = new SampleSummaryBuilder();
    for (const point of samplePoints(track({ start: T0, seconds: 30, speedMps: 3 }))) builder.add(point);
    const first = builder.finish();
    const second = builder.finish();
    expect(first.track).to.not.equal(second.track);
    expect(first.preview).to.not.equal(second.preview);
    first.track?.pop();
    first.preview.pop();
    expect(builder.finish()).to.deep.equal(second);
  });

  it("summarises a steady 1 Hz track: times, moving time, path, speed and heart-rate histograms", () => {
    const s = buildSampleSummary(
      samplePoints(track({ start: T0, seconds: 600, speedMps: 3, heartRate: 150, gpsNoise: false })),
    );
    expect(s.points).to.equal(601);
    expect(s.timedPoints).to.equal(601);
    expect(s.firstTime).to.equal(T0);
    expect(s.lastTime).to.equal(T0 + 600_000);
    expect(s.medianIntervalSec).to.equal(1);
    expect(s.movingSec).to.equal(600);
    expect(s.pathM).to.be.closeTo(1800, 0.01);
    expect(s.extentM).to.be.closeTo(1800, 0.01);
    // All 600 s at 3 m/s, i.e. in bin 12 (3.00-3.25 m/s); floating point may put a second or two in bin 11.
    expect(sum(s.speedSeconds)).to.be.closeTo(600, 1e-9);
    expect((s.speedSeconds[12] ?? 0) + (s.speedSeconds[11] ?? 0)).to.be.closeTo(600, 1e-9);
    expect(s.heartRateSeconds[30]).to.equal(600); // 150 bpm is bin 30 (150-154)
    expect(s.heartRateMean).to.equal(150);
    expect(s.jumps).to.deep.equal([]);
  });

  it("excludes pauses and recording gaps from moving time", () => {
    const builder = new SampleSummaryBuilder();
    for (const p of samplePoints(track({ start: T0, seconds: 300, speedMps: 2 }))) builder.add(p);
    // 20 minutes later, 300 more seconds: the gap is a pause (> 60 s and > 4 x the 1 s median interval).
    for (const p of samplePoints(track({ start: T0 + 1500_000, seconds: 300, speedMps: 2, lat0: 47.01 }))) {
      builder.add(p);
    }
    const s = builder.finish();
    expect(s.movingSec).to.equal(600);
    expect(s.firstTime).to.equal(T0);
    expect(s.lastTime).to.equal(T0 + 1800_000);
  });

  it("keeps the time of sparse recorders (a point every 50 s counts, the gap cap follows the median)", () => {
    const s = buildSampleSummary(
      samplePoints(track({ start: T0, seconds: 1500, intervalSec: 50, speedMps: 1 })),
    );
    expect(s.medianIntervalSec).to.equal(50);
    expect(s.movingSec).to.equal(1500);
  });

  it("counts backward and repeated timestamps", () => {
    const s = buildSampleSummary([
      { time: T0 },
      { time: T0 + 1000 },
      { time: T0 + 1000 },
      { time: T0 - 120_000 },
      { time: T0 + 3000 },
    ]);
    expect(s.backwardSteps).to.equal(1);
    expect(s.maxBackwardSec).to.equal(121);
    expect(s.repeatedTimes).to.equal(1);
    expect(s.minTime).to.equal(T0 - 120_000);
  });

  it("keeps the fastest jumps of at least 1 km, fastest first, at most MAX_JUMPS", () => {
    const points = samplePoints(track({ start: T0, seconds: 100, speedMps: 3, gpsNoise: false }));
    const builder = new SampleSummaryBuilder();
    let lat = 47;
    for (const [i, p] of points.entries()) {
      // Every 5th point jumps (i * 100 + 1000) m north in one second.
      if (i > 0 && i % 5 === 0) lat += (i * 100 + 1000) / METRES_PER_DEGREE_LAT;
      builder.add({ ...p, lat: (p.lat ?? 0) - 47 + lat });
    }
    const s = builder.finish();
    expect(s.jumps).to.have.length(MAX_JUMPS);
    expect(s.jumps[0]?.distanceM).to.be.closeTo(100 * 100 + 1000 + 3, 0.01);
    expect(s.jumps.map((j) => j.distanceM)).to.deep.equal(
      [...s.jumps.map((j) => j.distanceM)].sort((a, b) => b - a),
    );
  });

  it("does not pair points across a segment break", () => {
    const builder = new SampleSummaryBuilder();
    builder.add({ time: T0, lat: 47, lon: 8 });
    builder.breakSegment();
    builder.add({ time: T0 + 1000, lat: 48, lon: 8 }); // 111 km later, one second later: not a jump
    const s = builder.finish();
    expect(s.jumps).to.deep.equal([]);
    expect(s.pathM).to.equal(0);
    expect(s.extentM).to.be.closeTo(111_195, 1);
  });

  it("estimates the 30-s power of a steady flat ride from the cycling model", () => {
    // Flat, 10 m/s: drag 0.5 x 1.2 x 0.25 x 10^3 = 150 W, rolling 70 x 9.81 x 0.003 x 10 = 20.601 W.
    const s = buildSampleSummary(
      samplePoints(track({ start: T0, seconds: 120, speedMps: 10, ele: () => 300, gpsNoise: false })),
    );
    expect(s.peakPowerW).to.be.closeTo(170.601, 0.05);
  });

  it("adds the climbing and acceleration terms (they telescope over the window)", () => {
    // 5 m/s up a 10% grade (0.5 m of altitude per second): + 70 x 9.81 x 0.5 = 343.35 W.
    const s = buildSampleSummary(
      samplePoints(
        track({ start: T0, seconds: 120, speedMps: 5, ele: (t) => 300 + 0.5 * t, gpsNoise: false }),
      ),
    );
    const flat = 0.5 * 1.2 * 0.25 * 125 + 70 * 9.81 * 0.003 * 5;
    expect(s.peakPowerW).to.be.closeTo(flat + 343.35, 0.5);
  });

  it("keeps a bounded, evenly spread preview and bounded state for 200,000 points", () => {
    const builder = new SampleSummaryBuilder();
    for (let i = 0; i < 200_000; i += 1) {
      builder.add({ time: T0 + i * 1000, lat: 47 + (i * 3) / METRES_PER_DEGREE_LAT, lon: 8, heartRate: 140 });
    }
    const s = builder.finish();
    expect(s.preview.length).to.be.at.most(MAX_PREVIEW_POINTS);
    expect(s.preview.length).to.be.at.least(MAX_PREVIEW_POINTS / 2);
    expect(s.preview[0]?.time).to.equal(T0);
    const step = (s.preview[1]?.time ?? 0) - (s.preview[0]?.time ?? 0);
    expect(step % 1000).to.equal(0);
    expect(s.movingSec).to.equal(199_999);
    expect(sum(s.speedSeconds)).to.be.closeTo(199_999, 1e-6);
    expect(Math.floor(3 / SPEED_BIN_MPS)).to.equal(12);
  });

  it("ignores zero heart rates and out-of-range coordinates", () => {
    const s = buildSampleSummary([
      { time: T0, heartRate: 0, lat: 91, lon: 8 },
      { time: T0 + 1000, heartRate: 0, lat: 47, lon: 181 },
    ]);
    expect(s.heartRatePoints).to.equal(0);
    expect(s.positionedPoints).to.equal(0);
    expect(s.heartRateMean).to.equal(undefined);
  });

  it("checks a built summary's track and preview like the full schema, and keeps them as they are", () => {
    const built = buildSampleSummary(samplePoints(track({ start: T0, seconds: 600, speedMps: 3 })));
    expect(builtSampleSummarySchema.parse(built)).to.deep.equal(sampleSummarySchema.parse(built));
    expect(builtSampleSummarySchema.parse(built).track).to.equal(built.track);
    const track0 = built.track?.[0] ?? expect.fail("no track");
    const preview0 = built.preview[0] ?? expect.fail("no preview");
    const broken = [
      { track: [{ ...track0, lat: 90.5 }] },
      { track: [{ ...track0, lon: -181 }] },
      { track: [{ ...track0, time: Number.NaN }] },
      { track: [{ lat: 1, lon: 1 }] },
      { track: [null] },
      { track: new Array(9000).fill(track0) },
      { preview: [{ ...preview0, speedMps: -1 }] },
      { preview: [{ ...preview0, heartRate: Number.POSITIVE_INFINITY }] },
      { preview: [{ ...preview0, lat: -91 }] },
      { preview: new Array(300).fill(preview0) },
      { preview: undefined },
      { speedSeconds: built.speedSeconds.slice(1) },
      { speedSeconds: built.speedSeconds.map((v, i) => (i === 3 ? -1 : v)) },
      { heartRateSeconds: built.heartRateSeconds.map((v, i) => (i === 3 ? Number.NaN : v)) },
      { cadenceSeconds: [...(built.cadenceSeconds ?? []), 0] },
    ];
    for (const change of broken) {
      const summary = { ...built, ...change };
      expect(sampleSummarySchema.safeParse(summary).success, JSON.stringify(change).slice(0, 80)).to.equal(
        false,
      );
      expect(
        builtSampleSummarySchema.safeParse(summary).success,
        JSON.stringify(change).slice(0, 80),
      ).to.equal(false);
    }
    // Optional preview fields may be absent; the track may be absent.
    const sparse = { ...built, preview: [{}, { time: T0 }], track: undefined, cadenceSeconds: undefined };
    expect(builtSampleSummarySchema.parse(sparse)).to.deep.equal(sampleSummarySchema.parse(sparse));
  });
});
