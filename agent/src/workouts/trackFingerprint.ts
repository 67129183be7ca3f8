import type { SampleTrackPoint } from "./sampleSummary.ts";

/**
 * The replay fingerprint of a GPS track (see docs/oracle-integrity.md): PURE functions from a track's timed
 * fixes to
 * - its **vertices**: the track resampled every FINGERPRINT.stepM metres along its path (each vertex exactly one
 *   step from the previous one, on the recorded polyline), in metres from the first fix, with its time in seconds
 *   from the first fix. Resampling by distance makes the fingerprint blind to the sampling rate (thinning), the
 *   clock (re-timing) and the speed (time scaling); metres from the first fix make it blind to where the track is
 *   (translation);
 * - **segment hashes**: locality-sensitive hashes of 200-m windows. A window is described by the heading of its
 *   first 50-m chord, the three turning angles between its four 50-m chords, and the share of the window's time
 *   spent on each of its first three chords (relative timing: unchanged by re-timing or time scaling). Each value
 *   is quantised into bands; the bands hash into one integer. Stored tracks index a window every
 *   FINGERPRINT.indexEverySteps steps (every 25 m); a query probes a window at EVERY step (every 5 m), so whatever
 *   the phase of its resampling, some query window lies within 2.5 m of each stored one, and probes the
 *   neighbouring band of every value near a band edge (multi-probe LSH). Only informative windows (a turn, or
 *   uneven timing) are hashed: straight, even stretches look alike on every track;
 * - **comparison** (`compareTracks`): the exact-ish verification of one candidate found through the hashes:
 *   matching windows give translations, a walk along both tracks matches every query vertex to the candidate's
 *   polyline, and each matched stretch is tested for a replay: its times are an affine function of the
 *   candidate's (t' = a·t + b, median residual ≤ 3 s) or its geometry is the same noise realisation (residual ≤ 0.75 m).
 *   Genuine repeats of a route fail both: their own pace bends the time relation, their own GPS noise the shape.
 */
export const FINGERPRINT = {
  /** Resampling step along the path, m. */
  stepM: 5,
  /** Steps between the vertices a stored fingerprint keeps (and between indexed windows): 25 m. */
  indexEverySteps: 5,
  /** Steps per chord of a window (50 m) and chords per window (200 m). */
  chordSteps: 10,
  chords: 4,
  /** Band widths: first chord heading (degrees), turning angle (degrees), share of the window's time. */
  headingBandDeg: 45,
  turnBandDeg: 20,
  timeShareBand: 0.05,
  /** A value within this share of a band's width from its edge is also probed in the neighbouring band. */
  probeMargin: 0.3,
  /** At most this many probes per query window (the values nearest to an edge get the extra probes). */
  maxProbesPerWindow: 8,
  /** Informative windows: total turning at least this (degrees), or a chord's time share this far from even. */
  minTurningDeg: 30,
  minTimeShareDeviation: 0.08,
  /** Most resampled vertices (5 m each: 200 km). */
  maxVertices: 40_000,
  /** Matching: a query vertex matches when it lies within this distance of the candidate's polyline, m. */
  matchDistanceM: 15,
  /** A matched stretch is a replay when its times are affine in the candidate's within this median residual, s, */
  maxTimeResidualSec: 3,
  /** ... or its shape follows the candidate's within this median residual (the same GPS noise), m. */
  maxShapeResidualM: 0.75,
  /** Shortest stretch judged (stored vertices, 25 m each): 1.5 km, or half of a shorter track, at least 400 m. */
  minStretchVertices: 60,
  minStretchVerticesFloor: 16,
  /** The share of a track's length that must be replayed for the track to be a replay. */
  minReplayedShare: 0.3,
  /** Slowest and fastest time scaling considered (a replay played at a quarter or four times the speed). */
  minTimeScale: 0.25,
  maxTimeScale: 4,
  /** Most segment hashes stored per track (the store's bound too). */
  maxSegmentHashes: 20_000,
} as const;

/** A resampled point: metres east and north of the first fix, seconds after it. */
export interface TrackVertex {
  x: number;
  y: number;
  t: number;
}

export interface SegmentHash {
  /** 0 ≤ hash < 2^52. */
  hash: number;
  /** The window's first vertex, in stored vertices (FINGERPRINT.indexEverySteps steps each). */
  position: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Fixes → vertices every FINGERPRINT.stepM metres along the path (at most FINGERPRINT.maxVertices). */
export function resampleTrack(track: readonly SampleTrackPoint[]): TrackVertex[] {
  const first = track[0];
  if (first === undefined) return [];
  const cosLat = Math.cos(first.lat * RAD);
  const project = (p: SampleTrackPoint): TrackVertex => ({
    x: (p.lon - first.lon) * RAD * EARTH_RADIUS_M * cosLat,
    y: (p.lat - first.lat) * RAD * EARTH_RADIUS_M,
    t: (p.time - first.time) / 1000,
  });
  const step = FINGERPRINT.stepM;
  let last = project(first);
  const vertices: TrackVertex[] = [last];
  let a = last;
  for (let index = 1; index < track.length; index += 1) {
    const point = track[index];
    if (point === undefined) continue;
    const b = project(point);
    // Emit every vertex on the segment a → b one step from the previous vertex.
    for (;;) {
      const dbx = b.x - last.x;
      const dby = b.y - last.y;
      if (dbx * dbx + dby * dby < step * step) break;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const wx = a.x - last.x;
      const wy = a.y - last.y;
      const dd = dx * dx + dy * dy;
      const wd = wx * dx + wy * dy;
      const ww = wx * wx + wy * wy;
      const root = Math.sqrt(Math.max(0, wd * wd - dd * (ww - step * step)));
      const u = dd > 0 ? Math.min(1, Math.max(0, (-wd + root) / dd)) : 1;
      const vertex = { x: a.x + u * dx, y: a.y + u * dy, t: a.t + u * (b.t - a.t) };
      vertices.push(vertex);
      if (vertices.length >= FINGERPRINT.maxVertices) return vertices;
      last = vertex;
      a = vertex;
    }
    a = b;
  }
  return vertices;
}

/** Every `indexEverySteps`-th vertex: what a stored fingerprint keeps. */
export function storedVertices(vertices: readonly TrackVertex[]): TrackVertex[] {
  return vertices.filter((_, index) => index % FINGERPRINT.indexEverySteps === 0);
}

function wrapDeg(angle: number): number {
  let a = angle % 360;
  if (a >= 180) a -= 360;
  if (a < -180) a += 360;
  return a;
}

/** Values per window: the first chord's heading, three turns, three time shares. */
const WINDOW_VALUES = 7;

/**
 * Scratch space of the window functions below: one window at a time, so a track's tens of thousands of windows
 * allocate nothing per window (they made ~30 short-lived arrays and objects each, ~1 M for a long track, which
 * the event loop paid for in garbage collection pauses).
 */
const scratch = {
  headings: new Float64Array(FINGERPRINT.chords),
  durations: new Float64Array(FINGERPRINT.chords),
  values: new Float64Array(WINDOW_VALUES),
  cells: new Int32Array(WINDOW_VALUES),
  positions: new Float64Array(WINDOW_VALUES),
  probe: new Int32Array(WINDOW_VALUES),
  ambiguousIndex: new Int32Array(WINDOW_VALUES),
  ambiguousDistance: new Float64Array(WINDOW_VALUES),
};

/**
 * The seven values of the window starting at `start`, with `stride` vertices per step, written to
 * `scratch.values`; false when the window runs past the track or is not informative.
 */
function windowValues(vertices: readonly TrackVertex[], start: number, stride: number): boolean {
  const chordVertices = (FINGERPRINT.chordSteps * 1) / stride;
  const end = start + FINGERPRINT.chords * chordVertices;
  if (end >= vertices.length) return false;
  const { headings, durations, values } = scratch;
  for (let k = 0; k < FINGERPRINT.chords; k += 1) {
    const from = vertices[start + k * chordVertices];
    const to = vertices[start + (k + 1) * chordVertices];
    if (from === undefined || to === undefined) return false;
    headings[k] = Math.atan2(to.x - from.x, to.y - from.y) / RAD;
    durations[k] = to.t - from.t;
  }
  let total = 0;
  let negative = false;
  for (let k = 0; k < FINGERPRINT.chords; k += 1) {
    const d = durations[k] as number;
    total += d;
    if (d < 0) negative = true;
  }
  if (!(total > 0) || negative) return false;
  let turning = 0;
  for (let k = 1; k <= 3; k += 1) {
    const turn = wrapDeg((headings[k] as number) - (headings[k - 1] as number));
    values[k] = turn;
    turning += Math.abs(turn);
  }
  let uneven = false;
  for (let k = 0; k < FINGERPRINT.chords; k += 1) {
    if (
      Math.abs((durations[k] as number) / total - 1 / FINGERPRINT.chords) >= FINGERPRINT.minTimeShareDeviation
    ) {
      uneven = true;
    }
  }
  if (turning < FINGERPRINT.minTurningDeg && !uneven) return false;
  values[0] = (((headings[0] as number) % 360) + 360) % 360;
  for (let k = 0; k < 3; k += 1) values[4 + k] = (durations[k] as number) / total;
  return true;
}

const BANDS = [
  FINGERPRINT.headingBandDeg,
  FINGERPRINT.turnBandDeg,
  FINGERPRINT.turnBandDeg,
  FINGERPRINT.turnBandDeg,
  FINGERPRINT.timeShareBand,
  FINGERPRINT.timeShareBand,
  FINGERPRINT.timeShareBand,
];
const HEADING_CELLS = Math.round(360 / FINGERPRINT.headingBandDeg);

/**
 * Band of each of `scratch.values` (turns centred on 0) into `scratch.cells`, and how close it is to the lower /
 * upper edge (0..1 of a band) into `scratch.positions`.
 */
function cellsOf(): void {
  const { values, cells, positions } = scratch;
  for (let index = 0; index < WINDOW_VALUES; index += 1) {
    const value = values[index] as number;
    const band = BANDS[index] ?? 1;
    const scaled = index >= 1 && index <= 3 ? value / band + 0.5 : value / band;
    const cell = Math.floor(scaled);
    cells[index] = index === 0 ? ((cell % HEADING_CELLS) + HEADING_CELLS) % HEADING_CELLS : cell;
    positions[index] = scaled - Math.floor(scaled);
  }
}

/** FNV-1a over the cells, two lanes, folded into 52 bits. */
function hashCells(cells: ArrayLike<number>): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < cells.length; i += 1) {
    const v = (cells[i] as number) | 0;
    for (let shift = 0; shift < 32; shift += 8) {
      const byte = (v >>> shift) & 0xff;
      h1 = Math.imul(h1 ^ byte, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ byte, 0x01000193 ^ 0x2f) >>> 0;
    }
  }
  return (h1 & 0xfffff) * 2 ** 32 + h2;
}

/** The hashes a stored track is indexed under: one per informative window, every stored vertex. */
export function segmentHashes(vertices: readonly TrackVertex[]): SegmentHash[] {
  const stored = storedVertices(vertices);
  return storedSegmentHashes(stored);
}

/** `segmentHashes` from a stored fingerprint's vertices (one every indexEverySteps steps). */
export function storedSegmentHashes(stored: readonly TrackVertex[]): SegmentHash[] {
  const hashes: SegmentHash[] = [];
  for (let position = 0; position < stored.length; position += 1) {
    if (!windowValues(stored, position, FINGERPRINT.indexEverySteps)) continue;
    cellsOf();
    hashes.push({ hash: hashCells(scratch.cells), position });
  }
  return hashes;
}

export interface ProbeHash {
  hash: number;
  /** The query window's first vertex (resampled vertices, one step each). */
  vertex: number;
}

/** Most values probed in both bands per window: each doubles the probes, up to maxProbesPerWindow. */
const MAX_AMBIGUOUS = Math.floor(Math.log2(FINGERPRINT.maxProbesPerWindow));

/**
 * The values of the window in `scratch` that lie near a band edge, nearest first (ties in value order), at most
 * MAX_AMBIGUOUS, into `scratch.ambiguousIndex`; how many.
 */
function ambiguousValues(): number {
  const { positions, ambiguousIndex, ambiguousDistance } = scratch;
  let count = 0;
  for (let index = 0; index < WINDOW_VALUES; index += 1) {
    const position = positions[index] as number;
    const distance = Math.min(position, 1 - position);
    if (!(distance < FINGERPRINT.probeMargin)) continue;
    // Insertion into the list sorted by distance; an equal distance goes after (a stable sort's order).
    let at = count;
    while (at > 0 && (ambiguousDistance[at - 1] as number) > distance) {
      ambiguousDistance[at] = ambiguousDistance[at - 1] as number;
      ambiguousIndex[at] = ambiguousIndex[at - 1] as number;
      at -= 1;
    }
    ambiguousDistance[at] = distance;
    ambiguousIndex[at] = index;
    count += 1;
  }
  return Math.min(count, MAX_AMBIGUOUS);
}

/** The hashes a query probes: every informative window at every step, with neighbouring bands near edges. */
export function probeHashes(vertices: readonly TrackVertex[]): ProbeHash[] {
  const probes: ProbeHash[] = [];
  const { cells, positions, probe, ambiguousIndex } = scratch;
  for (let vertex = 0; vertex < vertices.length; vertex += 1) {
    if (!windowValues(vertices, vertex, 1)) continue;
    cellsOf();
    const ambiguous = ambiguousValues();
    const combinations = 1 << ambiguous;
    for (let mask = 0; mask < combinations; mask += 1) {
      probe.set(cells);
      for (let bit = 0; bit < ambiguous; bit += 1) {
        if ((mask & (1 << bit)) === 0) continue;
        const index = ambiguousIndex[bit] as number;
        const shifted = (probe[index] as number) + ((positions[index] as number) >= 0.5 ? 1 : -1);
        probe[index] = index === 0 ? ((shifted % HEADING_CELLS) + HEADING_CELLS) % HEADING_CELLS : shifted;
      }
      probes.push({ hash: hashCells(probe), vertex });
    }
  }
  return probes;
}

/**
 * A track's whole fingerprint in flat arrays: computed where the file is parsed (a worker thread, off the event
 * loop) and cheap to hand over (a structured clone copies typed arrays as blocks; tens of thousands of small
 * objects cost the receiving thread as much again).
 */
export interface CompactTrackFingerprint {
  /** x, y, t of each resampled vertex, in turn. */
  vertices: Float64Array;
  /** What is stored: every indexEverySteps-th vertex, encoded (`encodeVertices`). */
  stored: { vertexCount: number; vertices: string };
  /** `segmentHashes` (at most FINGERPRINT.maxSegmentHashes): hash and position. */
  segmentHashes: Float64Array;
  segmentPositions: Int32Array;
  /** `probeHashes`: hash and query vertex. */
  probeHashes: Float64Array;
  probeVertices: Int32Array;
}

/** The fingerprint of a track, or undefined when it is too short to judge (fewer than minStretchVerticesFloor stored vertices). */
export function compactFingerprintOf(
  track: readonly SampleTrackPoint[],
): CompactTrackFingerprint | undefined {
  const vertices = resampleTrack(track);
  const stored = storedVertices(vertices);
  if (stored.length < FINGERPRINT.minStretchVerticesFloor) return undefined;
  const segments = storedSegmentHashes(stored).slice(0, FINGERPRINT.maxSegmentHashes);
  const probes = probeHashes(vertices);
  const flat = new Float64Array(vertices.length * 3);
  vertices.forEach((v, i) => {
    flat[i * 3] = v.x;
    flat[i * 3 + 1] = v.y;
    flat[i * 3 + 2] = v.t;
  });
  return {
    vertices: flat,
    stored: { vertexCount: stored.length, vertices: encodeVertices(stored) },
    segmentHashes: Float64Array.from(segments, (h) => h.hash),
    segmentPositions: Int32Array.from(segments, (h) => h.position),
    probeHashes: Float64Array.from(probes, (p) => p.hash),
    probeVertices: Int32Array.from(probes, (p) => p.vertex),
  };
}

/** The resampled vertices of a compact fingerprint, as `resampleTrack` gave them. */
export function verticesOf(fingerprint: CompactTrackFingerprint): TrackVertex[] {
  const { vertices } = fingerprint;
  const out: TrackVertex[] = new Array(vertices.length / 3);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = {
      x: vertices[i * 3] as number,
      y: vertices[i * 3 + 1] as number,
      t: vertices[i * 3 + 2] as number,
    };
  }
  return out;
}

/** The probes of a compact fingerprint, as `probeHashes` gave them. */
export function probesOf(fingerprint: CompactTrackFingerprint): ProbeHash[] {
  const out: ProbeHash[] = new Array(fingerprint.probeHashes.length);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = { hash: fingerprint.probeHashes[i] as number, vertex: fingerprint.probeVertices[i] as number };
  }
  return out;
}

/** The segment hashes of a compact fingerprint, as `segmentHashes` gave them. */
export function segmentHashesOf(fingerprint: CompactTrackFingerprint): SegmentHash[] {
  const out: SegmentHash[] = new Array(fingerprint.segmentHashes.length);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = {
      hash: fingerprint.segmentHashes[i] as number,
      position: fingerprint.segmentPositions[i] as number,
    };
  }
  return out;
}

/** Stored vertices ↔ base64 of little-endian float32 (x, y, t) triples. */
export function encodeVertices(vertices: readonly TrackVertex[]): string {
  const buffer = Buffer.alloc(vertices.length * 12);
  vertices.forEach((v, i) => {
    buffer.writeFloatLE(v.x, i * 12);
    buffer.writeFloatLE(v.y, i * 12 + 4);
    buffer.writeFloatLE(v.t, i * 12 + 8);
  });
  return buffer.toString("base64");
}

export function decodeVertices(encoded: string): TrackVertex[] {
  const buffer = Buffer.from(encoded, "base64");
  const vertices: TrackVertex[] = [];
  for (let offset = 0; offset + 12 <= buffer.length; offset += 12) {
    vertices.push({
      x: buffer.readFloatLE(offset),
      y: buffer.readFloatLE(offset + 4),
      t: buffer.readFloatLE(offset + 8),
    });
  }
  return vertices;
}

/** One matched stretch of a comparison. */
export interface MatchedStretch {
  /** Query stored-vertex indices (every indexEverySteps steps) from `from` to `to`, inclusive. */
  from: number;
  to: number;
  matched: number;
  /** Median time residual after the best affine time map, s; the map's scale. */
  timeResidualSec: number;
  timeScale: number;
  /** Median distance to the candidate after removing the mean offset, m. */
  shapeResidualM: number;
  replayed: boolean;
}

export interface TrackComparison {
  /** Query stored-vertex indices that lie on replayed stretches. */
  replayedVertices: number[];
  stretches: MatchedStretch[];
}

interface Projection {
  distance: number;
  dx: number;
  dy: number;
  t: number;
  segment: number;
}

/** Nearest point of the candidate polyline's segments [from, to) to (x, y). */
function project(
  candidate: readonly TrackVertex[],
  x: number,
  y: number,
  from: number,
  to: number,
): Projection | undefined {
  let best: Projection | undefined;
  for (let j = Math.max(0, from); j < Math.min(to, candidate.length - 1); j += 1) {
    const a = candidate[j];
    const b = candidate[j + 1];
    if (a === undefined || b === undefined) continue;
    const sx = b.x - a.x;
    const sy = b.y - a.y;
    const ss = sx * sx + sy * sy;
    const u = ss > 0 ? Math.min(1, Math.max(0, ((x - a.x) * sx + (y - a.y) * sy) / ss)) : 0;
    const px = a.x + u * sx;
    const py = a.y + u * sy;
    const distance = Math.hypot(x - px, y - py);
    if (best === undefined || distance < best.distance) {
      best = { distance, dx: x - px, dy: y - py, t: a.t + u * (b.t - a.t), segment: j };
    }
  }
  return best;
}

function median(values: number[]): number {
  if (values.length === 0) return Number.POSITIVE_INFINITY;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Match {
  i: number;
  tq: number;
  tc: number;
  dx: number;
  dy: number;
}

function judgeStretch(matches: Match[], minStretch: number): MatchedStretch | undefined {
  const first = matches[0];
  const last = matches[matches.length - 1];
  if (first === undefined || last === undefined || matches.length < minStretch) return undefined;
  // Affine time map by least squares, then once more without the worst residuals (a stop can smear one vertex).
  const fit = (points: Match[]) => {
    const n = points.length;
    const mx = points.reduce((s, m) => s + m.tc, 0) / n;
    const my = points.reduce((s, m) => s + m.tq, 0) / n;
    let sxy = 0;
    let sxx = 0;
    for (const m of points) {
      sxy += (m.tc - mx) * (m.tq - my);
      sxx += (m.tc - mx) ** 2;
    }
    const a = sxx > 0 ? sxy / sxx : 0;
    return { a, b: my - a * mx };
  };
  let { a, b } = fit(matches);
  const residuals = matches.map((m) => Math.abs(m.tq - (a * m.tc + b)));
  const cut = median(residuals) * 3 + 1e-9;
  const kept = matches.filter((_, index) => (residuals[index] ?? 0) <= cut);
  if (kept.length >= matches.length / 2) ({ a, b } = fit(kept));
  const timeResidualSec = median(matches.map((m) => Math.abs(m.tq - (a * m.tc + b))));
  const mdx = matches.reduce((s, m) => s + m.dx, 0) / matches.length;
  const mdy = matches.reduce((s, m) => s + m.dy, 0) / matches.length;
  const shapeResidualM = median(matches.map((m) => Math.hypot(m.dx - mdx, m.dy - mdy)));
  const scaleOk = a >= FINGERPRINT.minTimeScale && a <= FINGERPRINT.maxTimeScale;
  const replayed =
    (scaleOk && timeResidualSec <= FINGERPRINT.maxTimeResidualSec) ||
    shapeResidualM <= FINGERPRINT.maxShapeResidualM;
  return {
    from: first.i,
    to: last.i,
    matched: matches.length,
    timeResidualSec,
    timeScale: a,
    shapeResidualM,
    replayed,
  };
}

/**
 * Compares a query track (all resampled vertices) with a stored candidate (its stored vertices): which parts of
 * the query replay the candidate. Bounded: at most 8 anchors are walked, each walk visits each query vertex once.
 */
export function compareTracks(
  query: readonly TrackVertex[],
  candidate: readonly TrackVertex[],
  /** `probeHashes(query)`, when the caller compares the query with several candidates. */
  probes: readonly ProbeHash[] = probeHashes(query),
): TrackComparison {
  const every = FINGERPRINT.indexEverySteps;
  const queryStored = storedVertices(query);
  const n = queryStored.length;
  const minStretch = Math.max(
    FINGERPRINT.minStretchVerticesFloor,
    Math.min(FINGERPRINT.minStretchVertices, Math.floor(n / 2)),
  );
  // Anchors: query windows whose hash equals a candidate window's, grouped by translation (8-m cells).
  const byHash = new Map<number, number[]>();
  for (const { hash, position } of storedSegmentHashes(candidate)) {
    const list = byHash.get(hash) ?? [];
    list.push(position);
    byHash.set(hash, list);
  }
  const clusters = new Map<string, { count: number; i: number; j: number; tx: number; ty: number }>();
  for (const probe of probes) {
    for (const j of byHash.get(probe.hash) ?? []) {
      const q = query[probe.vertex];
      const c = candidate[j];
      if (q === undefined || c === undefined) continue;
      const tx = q.x - c.x;
      const ty = q.y - c.y;
      const key = `${Math.round(tx / 8)}:${Math.round(ty / 8)}`;
      const cluster = clusters.get(key);
      if (cluster === undefined) {
        clusters.set(key, { count: 1, i: Math.round(probe.vertex / every), j, tx, ty });
      } else cluster.count += 1;
    }
  }
  const anchors = [...clusters.values()].sort((x, y) => y.count - x.count).slice(0, 8);
  const covered = new Set<number>();
  const replayedVertices = new Set<number>();
  const stretches: MatchedStretch[] = [];
  for (const anchor of anchors) {
    if (covered.has(anchor.i)) continue;
    const walk = (direction: 1 | -1): Match[] => {
      const matches: Match[] = [];
      let j = anchor.j;
      let misses = 0;
      for (let i = anchor.i; i >= 0 && i < n; i += direction) {
        const q = queryStored[i];
        if (q === undefined) break;
        const found = project(candidate, q.x - anchor.tx, q.y - anchor.ty, j - 4, j + 5);
        if (found === undefined || found.distance > FINGERPRINT.matchDistanceM) {
          misses += 1;
          if (misses > 2) break;
          continue;
        }
        misses = 0;
        j = found.segment;
        matches.push({ i, tq: q.t, tc: found.t, dx: found.dx, dy: found.dy });
      }
      return matches;
    };
    const backward = walk(-1).reverse();
    const forward = walk(1);
    const matches = [...backward.slice(0, -1), ...forward];
    for (const m of matches) covered.add(m.i);
    const stretch = judgeStretch(matches, minStretch);
    if (stretch === undefined) continue;
    stretches.push(stretch);
    if (stretch.replayed) for (const m of matches) replayedVertices.add(m.i);
  }
  return { replayedVertices: [...replayedVertices].sort((a, b) => a - b), stretches };
}

/** Share of the query's stored vertices that lie on replayed stretches of any candidate. */
export function replayedShare(
  query: readonly TrackVertex[],
  comparisons: readonly TrackComparison[],
): number {
  const n = storedVertices(query).length;
  if (n === 0) return 0;
  const all = new Set<number>();
  for (const comparison of comparisons) for (const i of comparison.replayedVertices) all.add(i);
  return all.size / n;
}
