import { expect } from "chai";
import { buildSampleSummary } from "../../src/workouts/sampleSummary.ts";
import { detectSyntheticTrack, SYNTHETIC_LIMITS } from "../../src/workouts/syntheticTrack.ts";
import { buildCorpus } from "../integrity/corpus.ts";
import { METRES_PER_DEGREE_LAT, prng, samplePoints, T0, type TrackPoint, track } from "./fixtures.ts";

function signsOf(points: TrackPoint[]): string[] {
  return detectSyntheticTrack(buildSampleSummary(samplePoints(points))).signs;
}

describe("detectSyntheticTrack", () => {
  const corpus = buildCorpus({ routes: 2, seed: 11 });

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
