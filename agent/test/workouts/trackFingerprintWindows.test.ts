/**
 * The window hashes of trackFingerprint.ts are computed in scratch arrays (no allocation per window); this pins
 * that they are exactly what the allocating implementation they replaced computed: `probeHashes` and
 * `segmentHashes` equal a reference copy of the old code on the integrity corpus (genuine tracks and every
 * forgery), on every real device file's track, and on random vertices with pauses, reversals, zero and negative
 * time steps, NaN and infinite values. Stored fingerprints and the hashes in `track_segment_hashes` therefore
 * stay valid.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { parseWorkoutFile } from "../../src/workouts/parseWorkoutFile.ts";
import {
  compactFingerprintOf,
  encodeVertices,
  FINGERPRINT,
  probeHashes,
  probesOf,
  resampleTrack,
  segmentHashes,
  segmentHashesOf,
  type TrackVertex,
  verticesOf,
} from "../../src/workouts/trackFingerprint.ts";
import { buildCorpus } from "../integrity/corpus.ts";

const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));
const RAD = Math.PI / 180;

// --- the reference: the code before the scratch arrays, verbatim in behaviour ---------------------------------
function wrapDeg(angle: number): number {
  let a = angle % 360;
  if (a >= 180) a -= 360;
  if (a < -180) a += 360;
  return a;
}
function referenceWindow(
  vertices: readonly TrackVertex[],
  start: number,
  stride: number,
): number[] | undefined {
  const chordVertices = (FINGERPRINT.chordSteps * 1) / stride;
  const end = start + FINGERPRINT.chords * chordVertices;
  if (end >= vertices.length) return undefined;
  const headings: number[] = [];
  const durations: number[] = [];
  for (let k = 0; k < FINGERPRINT.chords; k += 1) {
    const from = vertices[start + k * chordVertices];
    const to = vertices[start + (k + 1) * chordVertices];
    if (from === undefined || to === undefined) return undefined;
    headings.push(Math.atan2(to.x - from.x, to.y - from.y) / RAD);
    durations.push(to.t - from.t);
  }
  const total = durations.reduce((sum, d) => sum + d, 0);
  if (!(total > 0) || durations.some((d) => d < 0)) return undefined;
  const turns = [1, 2, 3].map((k) => wrapDeg((headings[k] ?? 0) - (headings[k - 1] ?? 0)));
  const shares = durations.slice(0, 3).map((d) => d / total);
  const turning = turns.reduce((sum, t) => sum + Math.abs(t), 0);
  const uneven = durations.some(
    (d) => Math.abs(d / total - 1 / FINGERPRINT.chords) >= FINGERPRINT.minTimeShareDeviation,
  );
  if (turning < FINGERPRINT.minTurningDeg && !uneven) return undefined;
  return [(((headings[0] ?? 0) % 360) + 360) % 360, ...turns, ...shares];
}
const BANDS = [45, 20, 20, 20, 0.05, 0.05, 0.05];
const HEADING_CELLS = 8;
function referenceCells(values: readonly number[]) {
  return values.map((value, index) => {
    const band = BANDS[index] ?? 1;
    const scaled = index >= 1 && index <= 3 ? value / band + 0.5 : value / band;
    const cell = Math.floor(scaled);
    return {
      cell: index === 0 ? ((cell % HEADING_CELLS) + HEADING_CELLS) % HEADING_CELLS : cell,
      position: scaled - Math.floor(scaled),
    };
  });
}
function referenceHash(cells: readonly number[]): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (const cell of cells) {
    const v = cell | 0;
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (v >>> shift) & 0xff;
      h1 = Math.imul(h1 ^ byte, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ byte, 0x01000193 ^ 0x2f) >>> 0;
    }
  }
  return (h1 & 0xfffff) * 2 ** 32 + h2;
}
function referenceSegmentHashes(vertices: readonly TrackVertex[]) {
  const stored = vertices.filter((_, index) => index % FINGERPRINT.indexEverySteps === 0);
  const hashes: { hash: number; position: number }[] = [];
  for (let position = 0; position < stored.length; position += 1) {
    const values = referenceWindow(stored, position, FINGERPRINT.indexEverySteps);
    if (values === undefined) continue;
    hashes.push({ hash: referenceHash(referenceCells(values).map((c) => c.cell)), position });
  }
  return hashes;
}
function referenceProbeHashes(vertices: readonly TrackVertex[]) {
  const probes: { hash: number; vertex: number }[] = [];
  for (let vertex = 0; vertex < vertices.length; vertex += 1) {
    const values = referenceWindow(vertices, vertex, 1);
    if (values === undefined) continue;
    const cells = referenceCells(values);
    const ambiguous = cells
      .map((c, index) => ({ index, distance: Math.min(c.position, 1 - c.position), up: c.position >= 0.5 }))
      .filter((c) => c.distance < FINGERPRINT.probeMargin)
      .sort((x, y) => x.distance - y.distance)
      .slice(0, Math.floor(Math.log2(FINGERPRINT.maxProbesPerWindow)));
    for (let mask = 0; mask < 1 << ambiguous.length; mask += 1) {
      const probe = cells.map((c) => c.cell);
      ambiguous.forEach((a, bit) => {
        if ((mask & (1 << bit)) === 0) return;
        const shifted = (probe[a.index] ?? 0) + (a.up ? 1 : -1);
        probe[a.index] =
          a.index === 0 ? ((shifted % HEADING_CELLS) + HEADING_CELLS) % HEADING_CELLS : shifted;
      });
      probes.push({ hash: referenceHash(probe), vertex });
    }
  }
  return probes;
}
// ---------------------------------------------------------------------------------------------------------------

function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x / 2 ** 32;
  };
}

/** A wandering path: headings that drift and jump, speeds that stop and reverse time now and then. */
function randomVertices(seed: number, count: number, odd: boolean): TrackVertex[] {
  const random = prng(seed);
  const vertices: TrackVertex[] = [];
  let x = 0;
  let y = 0;
  let t = 0;
  let heading = random() * 360;
  for (let i = 0; i < count; i += 1) {
    heading += (random() - 0.5) * (random() < 0.05 ? 180 : 30);
    x += 5 * Math.sin(heading * RAD);
    y += 5 * Math.cos(heading * RAD);
    const pace = random();
    t += pace < 0.05 ? 0 : pace < 0.08 ? -random() * 3 : 1 + random() * 4;
    const vertex = { x, y, t };
    if (odd && random() < 0.01) vertex.x = Number.NaN;
    if (odd && random() < 0.005) vertex.t = Number.POSITIVE_INFINITY;
    vertices.push(vertex);
  }
  return vertices;
}

describe("trackFingerprint windows without allocation", () => {
  it("hashes exactly as before on the integrity corpus: genuine tracks and every forgery", () => {
    const corpus = buildCorpus({ routes: 4, seed: 11 });
    const files = [...corpus.genuine, ...corpus.forgeries];
    expect(files.length).to.be.greaterThan(10);
    let probes = 0;
    for (const file of files) {
      const vertices = resampleTrack(
        file.points.map((p) => ({ time: p.time ?? 0, lat: p.lat ?? 0, lon: p.lon ?? 0 })),
      );
      const probed = probeHashes(vertices);
      expect(probed, file.name).to.deep.equal(referenceProbeHashes(vertices));
      expect(segmentHashes(vertices), file.name).to.deep.equal(referenceSegmentHashes(vertices));
      probes += probed.length;
    }
    expect(probes).to.be.greaterThan(1_000);
  });

  it("hashes exactly as before on every real device file's track", () => {
    let tracks = 0;
    for (const name of readdirSync(FIXTURES).filter((n) => /\.(fit|gpx|tcx)$/.test(n))) {
      let activities: ReturnType<typeof parseWorkoutFile>;
      try {
        activities = parseWorkoutFile(new Uint8Array(readFileSync(FIXTURES + name)));
      } catch {
        continue;
      }
      for (const activity of activities) {
        const vertices = resampleTrack(activity.samples.track ?? []);
        if (vertices.length < 50) continue;
        tracks += 1;
        expect(probeHashes(vertices), name).to.deep.equal(referenceProbeHashes(vertices));
        expect(segmentHashes(vertices), name).to.deep.equal(referenceSegmentHashes(vertices));
      }
    }
    expect(tracks).to.be.greaterThan(10);
  });

  it("keeps in its flat arrays exactly the vertices, probes and segment hashes the object functions give", () => {
    const corpus = buildCorpus({ routes: 3, seed: 5 });
    let compared = 0;
    for (const file of [...corpus.genuine, ...corpus.forgeries]) {
      const track = file.points.map((p) => ({ time: p.time ?? 0, lat: p.lat ?? 0, lon: p.lon ?? 0 }));
      const compact = compactFingerprintOf(track);
      const vertices = resampleTrack(track);
      if (compact === undefined) continue;
      compared += 1;
      expect(verticesOf(compact), file.name).to.deep.equal(vertices);
      expect(probesOf(compact), file.name).to.deep.equal(probeHashes(vertices));
      expect(segmentHashesOf(compact), file.name).to.deep.equal(
        segmentHashes(vertices).slice(0, FINGERPRINT.maxSegmentHashes),
      );
      const stored = vertices.filter((_, i) => i % FINGERPRINT.indexEverySteps === 0);
      expect(compact.stored, file.name).to.deep.equal({
        vertexCount: stored.length,
        vertices: encodeVertices(stored),
      });
    }
    expect(compared).to.be.greaterThan(5);
    // A track too short to judge has none.
    expect(compactFingerprintOf([{ time: 0, lat: 52, lon: 13 }])).to.equal(undefined);
  });

  it("hashes exactly as before on random paths, with pauses, time running back, NaN and infinity", () => {
    for (let seed = 1; seed <= 40; seed += 1) {
      const vertices = randomVertices(seed, 600 + seed * 10, seed % 2 === 0);
      expect(probeHashes(vertices), `seed ${seed}`).to.deep.equal(referenceProbeHashes(vertices));
      expect(segmentHashes(vertices), `seed ${seed}`).to.deep.equal(referenceSegmentHashes(vertices));
    }
  });
});
