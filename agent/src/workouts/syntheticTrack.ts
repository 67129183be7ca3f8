import { cosOfLatitude, haversineCosM, type SampleSummary, type SampleTrackPoint } from "./sampleSummary.ts";

/**
 * Statistics that tell a recorded track from a generated one (see docs/oracle-integrity.md). PURE. A GPS receiver
 * measures a body that accelerates, brakes and sways, through a filter that leaves correlated noise; a generator
 * writes what it was told. Measured on the track's timed fixes (summary.track), over consecutive pairs with the
 * same, short sampling interval:
 * - `speedCv`: coefficient of variation of the pair speeds while moving. Generated: ~0 (constant pace); recorded:
 *   0.05 and more (strides, corners, GPS noise);
 * - `spacingCv`: the same for the pair distances whatever the interval (constant spacing);
 * - `jerkM`: median third difference of the positions (|p3 − 3p2 + 3p1 − p0|), metres. Generated along straight
 *   lines or smooth curves: ~0 (coordinate rounding only); recorded: centimetres to metres (noise, sway);
 * - `accelerationLag1`: lag-1 autocorrelation of the second differences. White noise added to a smooth path (the
 *   cheap way to "add GPS noise") gives −2/3; a receiver's filtered, correlated error and real motion do not;
 * - `heartRateRangeBpm`: max − min of the heart rate; a sensor on a moving person never reads one value for
 *   10 minutes.
 */
export const SYNTHETIC_LIMITS = {
  /** Pairs with an interval above this are gaps, not samples, s. */
  maxPairIntervalSec: 10,
  /** Pairs slower than this are standing still, m/s. */
  minMovingSpeedMps: 0.5,
  /** Statistics need at least this many moving pairs (or triples). */
  minPairs: 120,
  /** Constant pace / spacing below this coefficient of variation. */
  maxConstantCv: 0.01,
  /** No GPS noise: median jerk below this, m. */
  maxNoiselessJerkM: 0.045,
  /** White noise on a smooth path: lag-1 autocorrelation of accelerations below this, judged on fixes at most
   * `maxWhiteNoiseIntervalSec` apart (a receiver's 1-2 Hz output; sparser fixes alias real motion). */
  maxWhiteNoiseIntervalSec: 2,
  maxWhiteNoiseLag1: -0.55,
  /** Flat heart rate: a range of at most this over at least `minHeartRatePoints` readings and `minHeartRateSec`. */
  maxFlatHeartRateRangeBpm: 2,
  minHeartRatePoints: 120,
  minHeartRateSec: 600,
} as const;

export interface TrackStatistics {
  movingPairs: number;
  speedCv: number | undefined;
  spacingCv: number | undefined;
  jerkM: number | undefined;
  accelerationLag1: number | undefined;
  heartRateRangeBpm: number | undefined;
}

export interface SyntheticTrackFinding {
  statistics: TrackStatistics;
  /** Why the track looks generated (empty: it does not). */
  signs: string[];
}

/**
 * Math.hypot(x, y), computed inline as V8 computes it for two arguments (both absolute values over the larger,
 * squared, summed, square-rooted, times the larger): the same double, ~5x faster than the builtin call.
 * Infinite and NaN arguments go to Math.hypot. `syntheticTrack.test.ts` compares the two.
 */
export function hypot2(x: number, y: number): number {
  const a = Math.abs(x);
  const b = Math.abs(y);
  const max = Math.max(a, b);
  if (!(max < Number.POSITIVE_INFINITY)) return Math.hypot(x, y);
  if (max === 0) return 0;
  const p = a / max;
  const q = b / max;
  return Math.sqrt(p * p + q * q) * max;
}

/** The coefficient of variation of the first `count` values (summed in order, from 0). */
function coefficientOfVariation(values: Float64Array, count: number): number | undefined {
  if (count === 0) return undefined;
  let sum = 0;
  for (let i = 0; i < count; i += 1) sum += values[i] ?? 0;
  const mean = sum / count;
  if (!(mean > 0)) return undefined;
  let squares = 0;
  for (let i = 0; i < count; i += 1) squares += ((values[i] ?? 0) - mean) ** 2;
  return Math.sqrt(squares / count) / mean;
}

/** The median (upper of the middle two) of the first `count` values, which it sorts in place. */
function median(values: Float64Array, count: number): number | undefined {
  if (count === 0) return undefined;
  // A typed array sorts numerically without a comparator call per comparison (the values are finite).
  const sorted = values.subarray(0, count).sort();
  return sorted[Math.floor(count / 2)];
}

export function trackStatistics(summary: SampleSummary): TrackStatistics {
  const limits = SYNTHETIC_LIMITS;
  const track: readonly SampleTrackPoint[] = summary.track ?? [];
  const first = track[0];
  const heartRateRangeBpm =
    summary.heartRateMin !== undefined && summary.heartRateMax !== undefined
      ? summary.heartRateMax - summary.heartRateMin
      : undefined;
  if (first === undefined) {
    return {
      movingPairs: 0,
      speedCv: undefined,
      spacingCv: undefined,
      jerkM: undefined,
      accelerationLag1: undefined,
      heartRateRangeBpm,
    };
  }
  const cosLat = Math.cos((first.lat * Math.PI) / 180);
  const metresPerDegree = (Math.PI / 180) * 6_371_008.8;
  // The points in local metres and seconds, one typed array per coordinate (no object per point).
  const xs = new Float64Array(track.length);
  const ys = new Float64Array(track.length);
  const ts = new Float64Array(track.length);
  for (let i = 0; i < track.length; i += 1) {
    const p = track[i];
    if (p === undefined) continue;
    xs[i] = (p.lon - first.lon) * metresPerDegree * cosLat;
    ys[i] = (p.lat - first.lat) * metresPerDegree;
    ts[i] = p.time / 1000;
  }
  // The pairs' speeds and spacings, in typed arrays filled up to a count (no array growing per pair). Each
  // fix's cosine is computed once for the two pairs it belongs to (haversineCosM: haversineM's very double).
  const speeds = new Float64Array(track.length);
  const spacings = new Float64Array(track.length);
  let movingPairs = 0;
  /** The cosine of the latitude of track[cosIndex], the last pair's second fix. */
  let cosIndex = -1;
  let cosB = 0;
  for (let i = 1; i < track.length; i += 1) {
    const a = track[i - 1];
    const b = track[i];
    if (a === undefined || b === undefined) continue;
    const dt = (b.time - a.time) / 1000;
    if (!(dt > 0) || dt > limits.maxPairIntervalSec) continue;
    const cosA = cosIndex === i - 1 ? cosB : cosOfLatitude(a.lat);
    cosB = cosOfLatitude(b.lat);
    cosIndex = i;
    const d = haversineCosM(a.lat, a.lon, cosA, b.lat, b.lon, cosB);
    if (d / dt < limits.minMovingSpeedMps) continue;
    speeds[movingPairs] = d / dt;
    spacings[movingPairs] = d;
    movingPairs += 1;
  }
  // Second and third differences over runs of equal intervals (a resampled or decimated stretch keeps its
  // spacing in time, so the differences compare like with like).
  // The accelerations, one entry per array: components, index of the point, interval.
  const accelerationX = new Float64Array(track.length);
  const accelerationY = new Float64Array(track.length);
  const accelerationIndex = new Int32Array(track.length);
  const accelerationDt = new Float64Array(track.length);
  let accelerations = 0;
  const jerks = new Float64Array(track.length);
  let jerkCount = 0;
  for (let i = 2; i < track.length; i += 1) {
    const dt1 = (ts[i - 1] ?? 0) - (ts[i - 2] ?? 0);
    const dt2 = (ts[i] ?? 0) - (ts[i - 1] ?? 0);
    if (!(dt1 > 0) || Math.abs(dt2 - dt1) > 1e-3 || dt1 > limits.maxPairIntervalSec) continue;
    const x0 = xs[i - 2] ?? 0;
    const x1 = xs[i - 1] ?? 0;
    const x2 = xs[i] ?? 0;
    const y0 = ys[i - 2] ?? 0;
    const y1 = ys[i - 1] ?? 0;
    const y2 = ys[i] ?? 0;
    const speed = hypot2(x2 - x1, y2 - y1) / dt2;
    if (speed < limits.minMovingSpeedMps) continue;
    accelerationX[accelerations] = x2 - 2 * x1 + x0;
    accelerationY[accelerations] = y2 - 2 * y1 + y0;
    accelerationIndex[accelerations] = i;
    accelerationDt[accelerations] = dt1;
    accelerations += 1;
  }
  let products = 0;
  let squares = 0;
  let pairs = 0;
  for (let k = 1; k < accelerations; k += 1) {
    if (accelerationIndex[k] !== (accelerationIndex[k - 1] ?? 0) + 1) continue;
    const ax = accelerationX[k - 1] ?? 0;
    const ay = accelerationY[k - 1] ?? 0;
    const bx = accelerationX[k] ?? 0;
    const by = accelerationY[k] ?? 0;
    jerks[jerkCount] = hypot2(bx - ax, by - ay);
    jerkCount += 1;
    if ((accelerationDt[k - 1] ?? 0) > limits.maxWhiteNoiseIntervalSec + 1e-3) continue;
    products += ax * bx + ay * by;
    squares += (ax * ax + ay * ay + bx * bx + by * by) / 2;
    pairs += 1;
  }
  return {
    movingPairs,
    speedCv: movingPairs >= limits.minPairs ? coefficientOfVariation(speeds, movingPairs) : undefined,
    spacingCv: movingPairs >= limits.minPairs ? coefficientOfVariation(spacings, movingPairs) : undefined,
    jerkM: jerkCount >= limits.minPairs ? median(jerks, jerkCount) : undefined,
    accelerationLag1: pairs >= limits.minPairs && squares > 0 ? products / squares : undefined,
    heartRateRangeBpm,
  };
}

/** Whether the summary's track and heart rate look generated, with the statistics that say so. */
export function detectSyntheticTrack(summary: SampleSummary): SyntheticTrackFinding {
  const limits = SYNTHETIC_LIMITS;
  const statistics = trackStatistics(summary);
  const signs: string[] = [];
  const { speedCv, spacingCv, jerkM, accelerationLag1, heartRateRangeBpm } = statistics;
  if (speedCv !== undefined && speedCv < limits.maxConstantCv) {
    signs.push(`a constant pace (speed varies by ${(speedCv * 100).toFixed(1)} %)`);
  } else if (spacingCv !== undefined && spacingCv < limits.maxConstantCv) {
    signs.push(`constant spacing (the distance between fixes varies by ${(spacingCv * 100).toFixed(1)} %)`);
  }
  if (jerkM !== undefined && jerkM < limits.maxNoiselessJerkM) {
    signs.push(`no GPS noise (median jerk ${(jerkM * 100).toFixed(1)} cm)`);
  }
  if (accelerationLag1 !== undefined && accelerationLag1 < limits.maxWhiteNoiseLag1) {
    signs.push(
      `noise that is white, not a receiver's (acceleration autocorrelation ${accelerationLag1.toFixed(2)})`,
    );
  }
  const heartRateSec = summary.heartRateSeconds.reduce((s, v) => s + v, 0);
  if (
    heartRateRangeBpm !== undefined &&
    heartRateRangeBpm <= limits.maxFlatHeartRateRangeBpm &&
    summary.heartRatePoints >= limits.minHeartRatePoints &&
    heartRateSec >= limits.minHeartRateSec
  ) {
    signs.push(
      `a heart rate that never varies (${heartRateRangeBpm} bpm range over ${Math.round(heartRateSec / 60)} min)`,
    );
  }
  return { statistics, signs };
}
