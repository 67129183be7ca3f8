import { expect } from "chai";
import type { SampleTrackPoint } from "../../src/workouts/sampleSummary.ts";
import {
  compareTracks,
  decodeVertices,
  encodeVertices,
  FINGERPRINT,
  probeHashes,
  replayedShare,
  resampleTrack,
  segmentHashes,
  storedVertices,
} from "../../src/workouts/trackFingerprint.ts";
import { buildCorpus } from "../integrity/corpus.ts";
import type { TrackPoint } from "./fixtures.ts";

const corpus = buildCorpus({ routes: 2, seed: 7 });

function fixes(points: TrackPoint[]): SampleTrackPoint[] {
  return points.map((p) => ({ time: p.time ?? 0, lat: p.lat ?? 0, lon: p.lon ?? 0 }));
}

function vertices(points: TrackPoint[]) {
  return resampleTrack(fixes(points));
}

describe("trackFingerprint", () => {
  const original = corpus.genuine[0];
  const repeat = corpus.genuine[1];
  if (original === undefined || repeat === undefined) throw new Error("corpus too small");

  it("resamples the path every 5 m, in metres and seconds from the first fix", () => {
    const v = vertices(original.points);
    expect(v[0]).to.deep.equal({ x: 0, y: 0, t: 0 });
    for (let i = 1; i < Math.min(v.length, 200); i += 1) {
      const a = v[i - 1];
      const b = v[i];
      if (a === undefined || b === undefined) continue;
      expect(Math.hypot(b.x - a.x, b.y - a.y)).to.be.closeTo(FINGERPRINT.stepM, 1e-6);
      expect(b.t).to.be.at.least(a.t);
    }
  });

  it("stores every fifth vertex as float32 triples, read back to within float precision", () => {
    const stored = storedVertices(vertices(original.points));
    const decoded = decodeVertices(encodeVertices(stored));
    expect(decoded).to.have.length(stored.length);
    decoded.forEach((v, i) => {
      expect(v.x).to.be.closeTo(stored[i]?.x ?? Number.NaN, 0.01);
      expect(v.t).to.be.closeTo(stored[i]?.t ?? Number.NaN, 0.01);
    });
  });

  it("probes every hash the same track is indexed under", () => {
    const v = vertices(original.points);
    const probes = new Set(probeHashes(v).map((p) => p.hash));
    const indexed = segmentHashes(v);
    expect(indexed.length).to.be.greaterThan(20);
    for (const { hash } of indexed) expect(probes.has(hash)).to.equal(true);
    for (const { hash } of indexed) expect(hash).to.be.within(0, 2 ** 52);
  });

  it("finds a re-timed, time-scaled, moved and thinned copy replayed over its whole length", () => {
    const first = original.points[0]?.time ?? 0;
    const copy = original.points
      .filter((_, i) => i % 2 === 0)
      .map((p) => ({
        ...p,
        time: first + 86_400_000 + ((p.time ?? 0) - first) * 0.9,
        lat: (p.lat ?? 0) + 0.01,
        lon: (p.lon ?? 0) - 0.02,
      }));
    const query = vertices(copy);
    const comparison = compareTracks(query, storedVertices(vertices(original.points)));
    expect(replayedShare(query, [comparison])).to.be.greaterThan(0.9);
    const stretch = comparison.stretches[0];
    expect(stretch?.replayed).to.equal(true);
    expect(stretch?.timeScale).to.be.closeTo(0.9, 0.01);
    expect(stretch?.timeResidualSec).to.be.below(1);
  });

  it("does not take another person's run of the same route for a replay", () => {
    const query = vertices(repeat.points);
    const comparison = compareTracks(query, storedVertices(vertices(original.points)));
    expect(comparison.stretches.length).to.be.greaterThan(0); // the same streets are found...
    expect(comparison.stretches.every((s) => !s.replayed)).to.equal(true); // ...but not the same recording
    expect(comparison.stretches[0]?.timeResidualSec).to.be.above(FINGERPRINT.maxTimeResidualSec * 2);
    expect(replayedShare(query, [comparison])).to.equal(0);
  });
});
