import { expect } from "chai";
import { buildSampleSummary, haversineM, type SampleSummary } from "../../src/workouts/sampleSummary.ts";
import {
  detectSyntheticTrack,
  hypot2,
  SYNTHETIC_LIMITS,
  type TrackStatistics,
  trackStatistics,
} from "../../src/workouts/syntheticTrack.ts";
import { buildCorpus } from "../integrity/corpus.ts";
import { METRES_PER_DEGREE_LAT, prng, samplePoints, T0, type TrackPoint, track } from "./fixtures.ts";

function signsOf(points: TrackPoint[]): string[] {
  return detectSyntheticTrack(buildSampleSummary(samplePoints(points))).signs;
}

/** trackStatistics as written before its typed arrays and shared cosines: the reference for the same doubles. */
function referenceStatistics(summary: SampleSummary): TrackStatistics {
  const L = SYNTHETIC_LIMITS;
  const track = summary.track ?? [];
  const heartRateRangeBpm =
    summary.heartRateMin !== undefined && summary.heartRateMax !== undefined
      ? summary.heartRateMax - summary.heartRateMin
      : undefined;
  const cv = (v: number[]) => {
    if (v.length === 0) return undefined;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    if (!(mean > 0)) return undefined;
    return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) / mean;
  };
  const first = track[0];
  if (first === undefined) {
    const none = { speedCv: undefined, spacingCv: undefined, jerkM: undefined, accelerationLag1: undefined };
    return { movingPairs: 0, ...none, heartRateRangeBpm };
  }
  const cosLat = Math.cos((first.lat * Math.PI) / 180);
  const m = (Math.PI / 180) * 6_371_008.8;
  const xs = track.map((p) => (p.lon - first.lon) * m * cosLat);
  const ys = track.map((p) => (p.lat - first.lat) * m);
  const ts = track.map((p) => p.time / 1000);
  const speeds: number[] = [];
  const spacings: number[] = [];
  for (let i = 1; i < track.length; i += 1) {
    const [a, b] = [track[i - 1], track[i]] as [typeof first, typeof first];
    const dt = (b.time - a.time) / 1000;
    if (!(dt > 0) || dt > L.maxPairIntervalSec) continue;
    const d = haversineM(a.lat, a.lon, b.lat, b.lon);
    if (d / dt < L.minMovingSpeedMps) continue;
    speeds.push(d / dt);
    spacings.push(d);
  }
  const acc: [number, number, number, number][] = [];
  for (let i = 2; i < track.length; i += 1) {
    const at = (v: number[], j: number) => v[j] ?? 0;
    const dt1 = at(ts, i - 1) - at(ts, i - 2);
    const dt2 = at(ts, i) - at(ts, i - 1);
    if (!(dt1 > 0) || Math.abs(dt2 - dt1) > 1e-3 || dt1 > L.maxPairIntervalSec) continue;
    const [x0, x1, x2, y0, y1, y2] = [
      at(xs, i - 2),
      at(xs, i - 1),
      at(xs, i),
      at(ys, i - 2),
      at(ys, i - 1),
      at(ys, i),
    ];
    if (Math.hypot(x2 - x1, y2 - y1) / dt2 < L.minMovingSpeedMps) continue;
    acc.push([x2 - 2 * x1 + x0, y2 - 2 * y1 + y0, i, dt1]);
  }
  const jerks: number[] = [];
  let [products, squares, pairs] = [0, 0, 0];
  for (let k = 1; k < acc.length; k += 1) {
    const [ax, ay, ai, adt] = acc[k - 1] as [number, number, number, number];
    const [bx, by, bi] = acc[k] as [number, number, number, number];
    if (bi !== ai + 1) continue;
    jerks.push(Math.hypot(bx - ax, by - ay));
    if (adt > L.maxWhiteNoiseIntervalSec + 1e-3) continue;
    products += ax * bx + ay * by;
    squares += (ax * ax + ay * ay + bx * bx + by * by) / 2;
    pairs += 1;
  }
  const sorted = Float64Array.from(jerks).sort();
  return {
    movingPairs: speeds.length,
    speedCv: speeds.length >= L.minPairs ? cv(speeds) : undefined,
    spacingCv: spacings.length >= L.minPairs ? cv(spacings) : undefined,
    jerkM: jerks.length >= L.minPairs ? sorted[Math.floor(sorted.length / 2)] : undefined,
    accelerationLag1: pairs >= L.minPairs && squares > 0 ? products / squares : undefined,
    heartRateRangeBpm,
  };
}

describe("detectSyntheticTrack", () => {
  const corpus = buildCorpus({ routes: 2, seed: 11 });

  it("computes hypot2 as Math.hypot does, to the last bit", () => {
    const random = prng(17);
    const specials = [
      0,
      -0,
      5e-324,
      -5e-324,
      1e308,
      -1e308,
      1,
      -1,
      3,
      4,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ];
    for (const x of specials)
      for (const y of specials) expect(Object.is(hypot2(x, y), Math.hypot(x, y))).to.equal(true);
    for (let i = 0; i < 200_000; i += 1) {
      const x = (random() - 0.5) * 2 ** (Math.floor(random() * 80) - 40);
      const y = random() < 0.1 ? x * (1 + 1e-9) : (random() - 0.5) * 2 ** (Math.floor(random() * 80) - 40);
      expect(hypot2(x, y), `${x}, ${y}`).to.equal(Math.hypot(x, y));
    }
  });

  it("computes the very statistics of the reference computation, to the last bit", () => {
    const random = prng(5);
    const tracks = [...corpus.genuine, ...corpus.forgeries].map((file) => file.points);
    for (let t = 0; t < 20; t += 1) {
      const interval = [1, 1, 2, 5, 45][t % 5] ?? 1;
      tracks.push(
        track({
          start: T0,
          seconds: 600 + 60 * t,
          intervalSec: interval,
          speedMps: 1 + t / 4,
          heartRate: 140,
        })
          .map((p) => ({
            ...p,
            lat: (p.lat ?? 0) + (random() - 0.5) * 1e-5,
            time: (p.time ?? 0) + (random() < 0.05 ? 7_000 : 0),
          }))
          .filter(() => random() > 0.02),
      );
    }
    for (const points of tracks) {
      const summary = buildSampleSummary(samplePoints(points));
      expect(trackStatistics(summary)).to.deep.equal(referenceStatistics(summary));
    }
  });

  it("passes recorded-looking tracks: the corpus's genuine recordings and the fixtures' wobbling line", () => {
    for (const file of corpus.genuine) expect(signsOf(file.points), file.name).to.deep.equal([]);
    expect(signsOf(track({ start: T0, seconds: 1800, speedMps: 3, heartRate: 150 }))).to.deep.equal([]);
  });

  it("names a ruler-straight line at constant pace: constant pace and no GPS noise", () => {
    const signs = signsOf(
      track({ start: T0, seconds: 1800, speedMps: 3, heartRate: (s) => 140 + (s % 9), gpsNoise: false }),
    );
    expect(signs.join("; "))
      .to.match(/constant pace/)
      .and.to.match(/no GPS noise/);
  });

  it("names white noise added to a drawn track", () => {
    const random = prng(3);
    const noisy = track({
      start: T0,
      seconds: 1800,
      speedMps: 3,
      heartRate: (s) => 140 + (s % 9),
      gpsNoise: false,
    }).map((p) => ({ ...p, lat: (p.lat ?? 0) + (2 * (random() - 0.5) * 3) / METRES_PER_DEGREE_LAT }));
    const finding = detectSyntheticTrack(buildSampleSummary(samplePoints(noisy)));
    expect(finding.statistics.accelerationLag1).to.be.below(SYNTHETIC_LIMITS.maxWhiteNoiseLag1);
    expect(finding.signs.join("; ")).to.match(/white/);
  });

  it("names a heart rate stuck at one value for 10 minutes or more, not for less", () => {
    const flat = (seconds: number) =>
      corpus.genuine[0]?.points.slice(0, seconds).map((p) => ({ ...p, heartRate: 142 })) ?? [];
    expect(signsOf(flat(1200)).join("; ")).to.match(/heart rate that never varies/);
    expect(signsOf(flat(300))).to.deep.equal([]);
  });

  it("judges nothing on too few fixes", () => {
    const short = track({ start: T0, seconds: 60, speedMps: 3, gpsNoise: false });
    const finding = detectSyntheticTrack(buildSampleSummary(samplePoints(short)));
    expect(finding.statistics.speedCv).to.equal(undefined);
    expect(finding.signs).to.deep.equal([]);
  });
});
