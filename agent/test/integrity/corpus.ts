/**
 * The integrity corpus (docs/oracle-integrity.md): genuine workouts and every forgery kind generated from them,
 * encoded as device files with the same writers the rest of the test suite uses (FIT through the Garmin SDK,
 * GPX and TCX as text). Deterministic (seeded).
 *
 * Genuine recordings: street-like routes (legs of 80-400 m meeting at corners and bends) in several cities, each
 * recorded three times, on different days, by different people: each recording has its own pace (a slowly
 * wandering pace, stops at some corners), its own running line and its own receiver error (correlated, as a
 * receiver's filter leaves it, plus a little white sensor noise), a heart rate that follows the effort, a 1-s or
 * "smart" (1-6 s) sampling interval, and one of the three formats.
 *
 * Forgeries, each uploaded by someone else, later:
 * - `duplicate`: the very same file;
 * - `retimed`: the same samples a week later;
 * - `time_scaled`: every interval stretched by 12 % (a slower "run"), a week later;
 * - `translated`: moved 3 km north-east, a day later;
 * - `thinned`: every third fix kept, a day later;
 * - `jittered`: 1.5 m of white noise added to every fix, a week later;
 * - `spliced`: the first half of one recording and the second half of another, moved to join, a week later;
 * - `reformatted`: the same samples in another format, same day;
 * - `synthetic_clean`: a route drawn at constant pace, no noise, a smooth heart rate;
 * - `synthetic_noisy`: the same with 2 m of white noise and a wandering pace;
 * - `flat_heart_rate`: a genuine-looking new track with a heart rate stuck at one value.
 */
import {
  METRES_PER_DEGREE_LAT,
  encodeFit,
  gpx,
  prng,
  type TrackPoint,
  tcx,
  utf8,
} from "../workouts/fixtures.ts";

export const FORGERY_KINDS = [
  "duplicate",
  "retimed",
  "time_scaled",
  "translated",
  "thinned",
  "jittered",
  "spliced",
  "reformatted",
  "synthetic_clean",
  "synthetic_noisy",
  "flat_heart_rate",
] as const;
export type ForgeryKind = (typeof FORGERY_KINDS)[number];

/** The reason each forgery kind must be rejected with. */
export const EXPECTED_REASON: Record<ForgeryKind, "duplicate" | "replayed_track" | "synthetic_track"> = {
  duplicate: "duplicate",
  retimed: "replayed_track",
  time_scaled: "replayed_track",
  translated: "replayed_track",
  thinned: "replayed_track",
  jittered: "replayed_track",
  spliced: "replayed_track",
  reformatted: "replayed_track",
  synthetic_clean: "synthetic_track",
  synthetic_noisy: "synthetic_track",
  flat_heart_rate: "synthetic_track",
};

export type FileFormat = "fit" | "gpx" | "tcx";

export interface CorpusFile {
  name: string;
  format: FileFormat;
  bytes: Uint8Array;
  /** The samples it was written from. */
  points: TrackPoint[];
  sport: "run" | "ride";
}

export interface CorpusForgery extends CorpusFile {
  kind: ForgeryKind;
}

export interface Corpus {
  /** In upload order: each route's recordings on successive days. */
  genuine: CorpusFile[];
  forgeries: CorpusForgery[];
  /** When the last forgery ends (a clock after it sees nothing in the future). */
  end: number;
}

export interface BuildCorpusParameters {
  seed?: number;
  /** Routes (each recorded three times). Default 10. */
  routes?: number;
  /** First day, ms. */
  start?: number;
}

const DAY = 86_400_000;
const CITIES: [number, number][] = [
  [47.37, 8.54],
  [52.52, 13.4],
  [48.85, 2.35],
  [40.42, -3.7],
  [51.5, -0.12],
  [45.46, 9.19],
  [59.33, 18.06],
  [41.39, 2.17],
  [-33.87, 151.21],
  [40.71, -74.0],
  [35.68, 139.69],
  [-23.55, -46.63],
];

interface Xy {
  x: number;
  y: number;
}

type Random = () => number;

function gaussian(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A street-like route from (0, 0), metres: legs of 80-400 m, corners of about ±90°, bends of up to ±35°. */
function route(random: Random, lengthM: number): Xy[] {
  const points: Xy[] = [{ x: 0, y: 0 }];
  let heading = random() * 2 * Math.PI;
  let length = 0;
  let at = { x: 0, y: 0 };
  while (length < lengthM) {
    const leg = 80 + random() * 320;
    const bend = (random() - 0.5) * 0.6;
    // A leg is drawn in 10-m pieces with a gentle curvature, so streets are not ruler-straight.
    for (let s = 0; s < leg; s += 10) {
      heading += bend / (leg / 10);
      at = { x: at.x + 10 * Math.sin(heading), y: at.y + 10 * Math.cos(heading) };
      points.push(at);
    }
    length += leg;
    const corner = random();
    heading += corner < 0.4 ? Math.PI / 2 : corner < 0.8 ? -Math.PI / 2 : (random() - 0.5) * 1.2;
  }
  return points;
}

/** Cumulative distances of a polyline. */
function cumulative(polyline: Xy[]): number[] {
  const out = [0];
  for (let i = 1; i < polyline.length; i += 1) {
    const a = polyline[i - 1] as Xy;
    const b = polyline[i] as Xy;
    out.push((out[i - 1] as number) + Math.hypot(b.x - a.x, b.y - a.y));
  }
  return out;
}

/** The point at distance `s` along the polyline, and the unit normal there. */
function along(polyline: Xy[], distances: number[], s: number): { p: Xy; n: Xy; corner: boolean } {
  let lo = 0;
  let hi = distances.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((distances[mid] as number) <= s) lo = mid;
    else hi = mid;
  }
  const a = polyline[lo] as Xy;
  const b = polyline[hi] as Xy;
  const span = (distances[hi] as number) - (distances[lo] as number);
  const u = span > 0 ? Math.min(1, Math.max(0, (s - (distances[lo] as number)) / span)) : 0;
  const dx = span > 0 ? (b.x - a.x) / span : 0;
  const dy = span > 0 ? (b.y - a.y) / span : 1;
  return { p: { x: a.x + u * (b.x - a.x), y: a.y + u * (b.y - a.y) }, n: { x: -dy, y: dx }, corner: false };
}

function toLatLon(origin: [number, number], p: Xy): { lat: number; lon: number } {
  const lat = origin[0] + p.y / METRES_PER_DEGREE_LAT;
  const lon = origin[1] + p.x / (METRES_PER_DEGREE_LAT * Math.cos((origin[0] * Math.PI) / 180));
  return { lat, lon };
}

export interface RecordingParameters {
  random: Random;
  origin: [number, number];
  polyline: Xy[];
  start: number;
  sport: "run" | "ride";
  /** Receiver error: correlated part (m) and white part (m). */
  gpsSigmaM?: number;
  whiteSigmaM?: number;
  /** Sampling: 1 s, or "smart" 1-6 s. */
  smart?: boolean;
  /** Heart rate stuck at one value. */
  flatHeartRate?: number;
}

/** A person moving along the polyline as recorded by a device. */
export function record(p: RecordingParameters): TrackPoint[] {
  const { random } = p;
  const distances = cumulative(p.polyline);
  const total = distances[distances.length - 1] as number;
  const base = p.sport === "run" ? 2.6 + random() * 1.2 : 6 + random() * 3;
  const gpsSigma = p.gpsSigmaM ?? 2 + random() * 2;
  const white = p.whiteSigmaM ?? 0.15;
  const corr = Math.exp(-1 / 25);
  const drive = gpsSigma * Math.sqrt(1 - corr * corr);
  let ex = gpsSigma * gaussian(random);
  let ey = gpsSigma * gaussian(random);
  // What the receiver reports: its filter smooths the wandering error (an exponential moving average).
  let fx = ex;
  let fy = ey;
  let pace = 1;
  let lateral = (random() - 0.5) * 2;
  let s = 0;
  let t = 0;
  let effort = 0;
  let stopUntil = -1;
  let nextStopAt = 300 + random() * 900;
  const hrRest = 60 + random() * 15;
  const hrMax = 150 + random() * 30;
  const points: TrackPoint[] = [];
  while (s < total) {
    const dt = p.smart ? 1 + Math.floor(random() * 6) : 1;
    t += dt;
    for (let k = 0; k < dt; k += 1) {
      pace = 1 + 0.995 * (pace - 1) + 0.012 * gaussian(random);
      pace = Math.min(1.35, Math.max(0.65, pace));
      lateral = 0.99 * lateral + 0.05 * gaussian(random);
      ex = corr * ex + drive * gaussian(random);
      ey = corr * ey + drive * gaussian(random);
      fx += 0.3 * (ex - fx);
      fy += 0.3 * (ey - fy);
    }
    const moving = t >= stopUntil;
    if (moving) {
      s += base * pace * dt;
      if (s >= nextStopAt) {
        stopUntil = t + 5 + random() * 40;
        nextStopAt = s + 300 + random() * 1500;
      }
    }
    effort += ((moving ? pace : 0.3) - effort) * Math.min(1, dt / 40);
    const here = along(p.polyline, distances, Math.min(s, total));
    const position = {
      x: here.p.x + here.n.x * lateral + fx + white * gaussian(random),
      y: here.p.y + here.n.y * lateral + fy + white * gaussian(random),
    };
    const { lat, lon } = toLatLon(p.origin, position);
    const heartRate =
      p.flatHeartRate ??
      Math.round(hrRest + (hrMax - hrRest) * Math.min(1, 0.55 + 0.35 * effort) + 1.5 * gaussian(random));
    points.push({ time: p.start + t * 1000, lat, lon, heartRate, ele: 400 + 10 * Math.sin(s / 700) });
  }
  return points;
}

/** A generator's track: exactly along the polyline at a given pace, optional white noise. */
function synthesize(
  random: Random,
  origin: [number, number],
  polyline: Xy[],
  start: number,
  options: { speedMps: number; whiteSigmaM: number; paceNoise: number },
): TrackPoint[] {
  const distances = cumulative(polyline);
  const total = distances[distances.length - 1] as number;
  const points: TrackPoint[] = [];
  let pace = 1;
  for (let t = 0, s = 0; s < total; t += 1) {
    pace = 1 + 0.9 * (pace - 1) + options.paceNoise * gaussian(random);
    s += options.speedMps * pace;
    const here = along(polyline, distances, Math.min(s, total));
    const position = {
      x: here.p.x + options.whiteSigmaM * gaussian(random),
      y: here.p.y + options.whiteSigmaM * gaussian(random),
    };
    const { lat, lon } = toLatLon(origin, position);
    points.push({
      time: start + t * 1000,
      lat,
      lon,
      heartRate: Math.round(140 + 8 * Math.sin(t / 300) + (options.paceNoise > 0 ? 2 * gaussian(random) : 0)),
    });
  }
  return points;
}

/** Encodes samples as a device file of the given format. */
export function encode(points: TrackPoint[], format: FileFormat, sport: "run" | "ride"): Uint8Array {
  const first = points[0]?.time ?? 0;
  const last = points[points.length - 1]?.time ?? first;
  const elapsedSec = (last - first) / 1000;
  if (format === "fit") {
    return encodeFit({
      timeCreated: first,
      records: points,
      timerEvents: [
        [first, "start"],
        [last, "stopAll"],
      ],
      sessions: [
        {
          sport: sport === "run" ? "running" : "cycling",
          start: first,
          timerSec: elapsedSec,
          elapsedSec,
        },
      ],
    });
  }
  if (format === "gpx") {
    return utf8(gpx({ type: sport === "run" ? "running" : "cycling", segments: [points] }));
  }
  return utf8(
    tcx([
      {
        sport: sport === "run" ? "Running" : "Biking",
        laps: [{ start: first, totalTimeSec: elapsedSec, points }],
      },
    ]),
  );
}

function shifted(points: TrackPoint[], ms: number): TrackPoint[] {
  return points.map((p) => ({ ...p, time: (p.time ?? 0) + ms }));
}

const FORMATS: FileFormat[] = ["fit", "gpx", "tcx"];

export function buildCorpus(parameters: BuildCorpusParameters = {}): Corpus {
  const random = prng(parameters.seed ?? 2026);
  const routes = parameters.routes ?? 10;
  const start = parameters.start ?? Date.UTC(2026, 8, 7, 6, 0, 0);
  const genuine: CorpusFile[] = [];
  let day = 0;
  const recordingsByRoute: CorpusFile[][] = [];
  for (let r = 0; r < routes; r += 1) {
    const sport: "run" | "ride" = r % 3 === 2 ? "ride" : "run";
    const origin = CITIES[r % CITIES.length] as [number, number];
    const polyline = route(random, sport === "run" ? 4000 + random() * 6000 : 12_000 + random() * 15_000);
    const recordings: CorpusFile[] = [];
    for (let k = 0; k < 3; k += 1) {
      const begin = start + day * DAY + Math.floor(random() * 10) * 3_600_000;
      day += 1;
      const points = record({ random, origin, polyline, start: begin, sport, smart: (r + k) % 4 === 3 });
      const format = FORMATS[(r + k) % 3] as FileFormat;
      const file = {
        name: `genuine-${r}-${k}.${format}`,
        format,
        bytes: encode(points, format, sport),
        points,
        sport,
      };
      recordings.push(file);
      genuine.push(file);
    }
    recordingsByRoute.push(recordings);
  }

  const forgeries: CorpusForgery[] = [];
  const later = start + (day + 1) * DAY;
  const forge = (kind: ForgeryKind, source: CorpusFile, points: TrackPoint[], format = source.format) => {
    forgeries.push({
      kind,
      name: `${kind}-${source.name.replace(/\.\w+$/, "")}.${format}`,
      format,
      bytes: kind === "duplicate" ? source.bytes : encode(points, format, source.sport),
      points,
      sport: source.sport,
    });
  };
  genuine.forEach((source, index) => {
    const first = source.points[0]?.time ?? 0;
    // Each forgery lands on its own later day, so forgeries never overlap each other's times.
    const slot = (k: number) => later + (index * FORGERY_KINDS.length + k) * DAY - first;
    forge("duplicate", source, source.points);
    forge("retimed", source, shifted(source.points, slot(1)));
    forge(
      "time_scaled",
      source,
      source.points.map((p) => ({ ...p, time: first + slot(2) + ((p.time ?? 0) - first) * 1.12 })),
    );
    const north = 2100 / METRES_PER_DEGREE_LAT;
    forge(
      "translated",
      source,
      shifted(source.points, slot(3)).map((p) => ({
        ...p,
        lat: (p.lat ?? 0) + north,
        lon: (p.lon ?? 0) + north * 1.4,
      })),
    );
    forge(
      "thinned",
      source,
      shifted(source.points, slot(4)).filter((_, i) => i % 3 === 0),
    );
    forge(
      "jittered",
      source,
      shifted(source.points, slot(5)).map((p) => ({
        ...p,
        lat: (p.lat ?? 0) + (1.5 * gaussian(random)) / METRES_PER_DEGREE_LAT,
        lon:
          (p.lon ?? 0) +
          (1.5 * gaussian(random)) / (METRES_PER_DEGREE_LAT * Math.cos(((p.lat ?? 0) * Math.PI) / 180)),
      })),
    );
    // Splice: this recording's first half, then the second half of a recording of another route, moved so it
    // continues where the first half ends and re-timed to follow it.
    const other = genuine[(index + 3) % genuine.length] as CorpusFile;
    const firstHalf = source.points.slice(0, Math.floor(source.points.length / 2));
    const secondHalf = other.points.slice(Math.floor(other.points.length / 2));
    const end = firstHalf[firstHalf.length - 1] as TrackPoint;
    const join = secondHalf[0] as TrackPoint;
    const dTime = (end.time ?? 0) + 1000 - (join.time ?? 0);
    // Moved in metres (shape kept), not in degrees: the other half may come from another latitude.
    const metres = (p: TrackPoint): Xy => ({
      x:
        ((p.lon ?? 0) - (join.lon ?? 0)) *
        METRES_PER_DEGREE_LAT *
        Math.cos(((join.lat ?? 0) * Math.PI) / 180),
      y: ((p.lat ?? 0) - (join.lat ?? 0)) * METRES_PER_DEGREE_LAT,
    });
    const endOrigin: [number, number] = [end.lat ?? 0, end.lon ?? 0];
    forge(
      "spliced",
      source,
      shifted(
        [
          ...firstHalf,
          ...secondHalf.map((p) => ({
            ...p,
            ...toLatLon(endOrigin, metres(p)),
            time: (p.time ?? 0) + dTime,
          })),
        ],
        slot(6),
      ),
    );
    forge(
      "reformatted",
      source,
      source.points,
      FORMATS[(FORMATS.indexOf(source.format) + 1) % 3] as FileFormat,
    );
  });
  recordingsByRoute.forEach((recordings, r) => {
    const source = recordings[0] as CorpusFile;
    const origin = CITIES[(r + 5) % CITIES.length] as [number, number];
    const polyline = route(random, source.sport === "run" ? 6000 : 20_000);
    const base = later + (genuine.length * FORGERY_KINDS.length + r * 3) * DAY;
    const speedMps = source.sport === "run" ? 3.2 : 7.5;
    for (const [k, kind] of (["synthetic_clean", "synthetic_noisy", "flat_heart_rate"] as const).entries()) {
      const points =
        kind === "synthetic_clean"
          ? synthesize(random, origin, polyline, base + k * DAY, { speedMps, whiteSigmaM: 0, paceNoise: 0 })
          : kind === "synthetic_noisy"
            ? synthesize(random, origin, polyline, base + k * DAY, {
                speedMps,
                whiteSigmaM: 2,
                paceNoise: 0.03,
              })
            : record({
                random,
                origin,
                polyline,
                start: base + k * DAY,
                sport: source.sport,
                flatHeartRate: 142,
              });
      const format = FORMATS[(r + k) % 3] as FileFormat;
      forgeries.push({
        kind,
        name: `${kind}-${r}.${format}`,
        format,
        bytes: encode(points, format, source.sport),
        points,
        sport: source.sport,
      });
    }
  });
  const end = Math.max(...forgeries.map((f) => f.points[f.points.length - 1]?.time ?? 0));
  return { genuine, forgeries, end };
}
