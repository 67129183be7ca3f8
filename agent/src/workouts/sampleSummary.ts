import { z } from "zod";
import {
  addToBin,
  ClimbCounter,
  DistanceSteps,
  EvenSample,
  FastestJumps,
  IntervalHistogram,
  PeakPowerWindow,
  ValueRange,
} from "./sampleStatistics.ts";

/**
 * A bounded summary of an activity's samples (track points, FIT records), built in one pass with running
 * statistics, so a file of a million points costs the same memory as one of a hundred. It keeps exactly what the
 * plausibility checks of `verifyWorkout` need: time coverage and ordering, time-weighted speed and heart-rate
 * histograms, the largest GPS jumps, a peak sustained-power estimate, and a small decimated preview.
 */

/** Width of one bin of `speedSeconds`, in m/s. */
export const SPEED_BIN_MPS = 0.25;
/** Number of speed bins; the last one is open-ended (>= 49.75 m/s, i.e. ~180 km/h). */
export const SPEED_BINS = 200;
/** Width of one bin of `heartRateSeconds`, in beats per minute. */
export const HEART_RATE_BIN_BPM = 5;
/** Number of heart-rate bins; the last one is open-ended (>= 300 bpm). */
export const HEART_RATE_BINS = 61;
/** Pairs of consecutive samples further apart than this are a pause or a recording gap: they carry no speed,
 * heart-rate or moving time. */
export const MAX_PAIR_GAP_SEC = 300;
/** Moving time counts a pair only when its gap is at most max(this, 4 x the median sampling interval), so sparse
 * recorders (pool swims log once per length) keep their time while real pauses drop out. */
export const MIN_MOVING_GAP_CAP_SEC = 60;
/** Only jumps of at least this many metres between consecutive fixes are kept as teleport candidates: single
 * bad fixes of a few hundred metres happen in cities and are not what a teleport check is for. */
export const JUMP_MIN_DISTANCE_M = 1000;
/** How many of the fastest jumps are kept. */
export const MAX_JUMPS = 16;
/** Upper bound of the decimated preview. */
export const MAX_PREVIEW_POINTS = 256;
/** Upper bound of the decimated track (timed fixes) kept for the replay fingerprint; between half and all of it
 * is filled. 8,192 fixes keep a 1-Hz recording of 2h15 whole, and one fix every 4 s of a 9-hour ride. */
export const MAX_TRACK_POINTS = 8192;
/** Window of the peak sustained-power estimate, in seconds. */
export const POWER_WINDOW_SEC = 30;
/** Width of one bin of `cadenceSeconds`, per minute (rpm, steps or strokes, whatever the device counts). */
export const CADENCE_BIN_PER_MIN = 2;
/** Number of cadence bins; the last one is open-ended (>= 254 per minute). */
export const CADENCE_BINS = 128;
/** Altitude must move this far from the last turning point before a climb counts (GPS altitude noise), m. */
export const CLIMB_HYSTERESIS_M = 5;
/** Steps of the device's cumulative distance are grouped by rounding to this, m (pool lengths: 25 m, 50 m). */
export const DISTANCE_STEP_ROUNDING_M = 0.5;
/** Distinct distance-step sizes tracked; later sizes only count toward the total. */
const MAX_DISTANCE_STEP_SIZES = 64;

/** Pairs longer than this do not feed the power estimate (too coarse to say anything about 30 s). */
const MAX_POWER_PAIR_SEC = 60;
/** One sample as a parser sees it; every field is optional because devices record very different things. */
export interface SamplePoint {
  /** Milliseconds since the Unix epoch. */
  time?: number;
  /** Degrees. */
  lat?: number;
  /** Degrees. */
  lon?: number;
  altitudeM?: number;
  /** Cumulative distance as recorded by the device, metres. */
  distanceM?: number;
  /** Speed as recorded by the device, m/s. */
  speedMps?: number;
  heartRate?: number;
  powerW?: number;
  cadence?: number;
}

/**
 * A sample with every field present (undefined until read), in one order: every point the parsers give the
 * builder has one shape, whatever fields a file writes and in whatever order.
 */
export function newSamplePoint(lat?: number, lon?: number): SamplePoint {
  return {
    time: undefined,
    lat,
    lon,
    altitudeM: undefined,
    distanceM: undefined,
    speedMps: undefined,
    heartRate: undefined,
    powerW: undefined,
    cadence: undefined,
  };
}

const jumpSchema = z.object({
  /** Time of the second fix, ms. */
  time: z.number(),
  distanceM: z.number().nonnegative(),
  /** Seconds between the two fixes (0 when they share a timestamp). */
  dtSec: z.number().nonnegative(),
});

const previewPointSchema = z.object({
  time: z.number().optional(),
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  heartRate: z.number().nonnegative().optional(),
  speedMps: z.number().nonnegative().optional(),
});

const trackPointSchema = z.object({
  time: z.number(),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

export const sampleSummarySchema = z.object({
  /** All samples seen, timed or not. */
  points: z.int().nonnegative(),
  /** Samples with a usable timestamp. */
  timedPoints: z.int().nonnegative(),
  firstTime: z.number().optional(),
  lastTime: z.number().optional(),
  minTime: z.number().optional(),
  maxTime: z.number().optional(),
  /** Consecutive timed samples whose time goes backwards, and the largest such step. */
  backwardSteps: z.int().nonnegative(),
  maxBackwardSec: z.number().nonnegative(),
  /** Consecutive timed samples with the very same timestamp. */
  repeatedTimes: z.int().nonnegative(),
  /** Median interval between consecutive timed samples, seconds. */
  medianIntervalSec: z.number().nonnegative().optional(),
  /** Time covered by samples, pauses and recording gaps excluded, seconds. */
  movingSec: z.number().nonnegative(),
  positionedPoints: z.int().nonnegative(),
  /** Length of the GPS path, metres (GPS jitter adds to it even when standing still). */
  pathM: z.number().nonnegative(),
  /** Diagonal of the bounding box of all fixes, metres: how far the activity actually went, jitter-proof. */
  extentM: z.number().nonnegative(),
  /** Range of the device's cumulative distance field (wheel, foot pod, treadmill, GPS), metres. */
  recordedDistanceM: z.number().nonnegative(),
  heartRatePoints: z.int().nonnegative(),
  heartRateMin: z.number().optional(),
  heartRateMax: z.number().optional(),
  heartRateMean: z.number().optional(),
  powerPoints: z.int().nonnegative(),
  cadencePoints: z.int().nonnegative(),
  /** Seconds spent in each speed bin (SPEED_BIN_MPS wide). */
  speedSeconds: z.array(z.number().nonnegative()).length(SPEED_BINS),
  /** Seconds spent in each heart-rate bin (HEART_RATE_BIN_BPM wide); readings of 0 mean "no reading". */
  heartRateSeconds: z.array(z.number().nonnegative()).length(HEART_RATE_BINS),
  /** The fastest jumps between consecutive fixes of at least JUMP_MIN_DISTANCE_M, fastest first. */
  jumps: z.array(jumpSchema).max(MAX_JUMPS),
  /** Highest POWER_WINDOW_SEC-average of the power a rider would need to produce the recorded motion, watts. */
  peakPowerW: z.number().optional(),
  /**
   * Seconds spent in each cadence bin (CADENCE_BIN_PER_MIN wide), readings of 0 excluded. What the sport
   * inference (inferSport.ts) reads; optional so summaries stored or built before it still parse.
   */
  cadenceSeconds: z.array(z.number().nonnegative()).length(CADENCE_BINS).optional(),
  /** Total ascent, metres, counted with CLIMB_HYSTERESIS_M so GPS altitude noise adds nothing. */
  climbM: z.number().nonnegative().optional(),
  /**
   * Increases of the device's cumulative distance between consecutive samples: how many, and the most common
   * size (rounded to DISTANCE_STEP_ROUNDING_M) with how many of them have it. A pool swim logs one sample per
   * length, so nearly every step is the pool length.
   */
  distanceSteps: z
    .object({
      count: z.int().nonnegative(),
      modeM: z.number().nonnegative(),
      modeCount: z.int().nonnegative(),
    })
    .optional(),
  preview: z.array(previewPointSchema).max(MAX_PREVIEW_POINTS),
  /**
   * The timed fixes in file order, evenly decimated to at most MAX_TRACK_POINTS: what the replay fingerprint
   * (trackFingerprint.ts) and the synthetic-track statistics (syntheticTrack.ts) read. Absent without fixes.
   */
  track: z.array(trackPointSchema).max(MAX_TRACK_POINTS).optional(),
});

export type SampleSummary = z.infer<typeof sampleSummarySchema>;
export type SampleJump = z.infer<typeof jumpSchema>;
export type SamplePreviewPoint = z.infer<typeof previewPointSchema>;
export type SampleTrackPoint = z.infer<typeof trackPointSchema>;

/** A finite number within [min, max] (what `z.number().min(min).max(max)` accepts). */
function within(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max;
}

function optionalWithin(value: unknown, min: number, max: number): boolean {
  return value === undefined || within(value, min, max);
}

function isTrackPoint(point: SampleTrackPoint): boolean {
  return (
    within(point.time, -Infinity, Infinity) && within(point.lat, -90, 90) && within(point.lon, -180, 180)
  );
}

function isPreviewPoint(point: SamplePreviewPoint): boolean {
  return (
    optionalWithin(point.time, -Infinity, Infinity) &&
    optionalWithin(point.lat, -90, 90) &&
    optionalWithin(point.lon, -180, 180) &&
    optionalWithin(point.heartRate, 0, Infinity) &&
    optionalWithin(point.speedMps, 0, Infinity)
  );
}

/** An array of exactly `length` finite, non-negative numbers (a histogram's bins). */
function binsOf(length: number) {
  return (value: unknown): boolean =>
    Array.isArray(value) && value.length === length && value.every((bin) => within(bin, 0, Infinity));
}

function listOf<T extends object>(max: number, isItem: (item: T) => boolean) {
  return (value: unknown): boolean =>
    Array.isArray(value) &&
    value.length <= max &&
    value.every((item) => typeof item === "object" && item !== null && isItem(item));
}

/** The checks builtSampleSummarySchema makes of the fields it keeps as they are (assembledActivity.ts's too). */
export const BUILT_SUMMARY_CHECKS = {
  speedSeconds: binsOf(SPEED_BINS),
  heartRateSeconds: binsOf(HEART_RATE_BINS),
  cadenceSeconds: binsOf(CADENCE_BINS),
  preview: listOf(MAX_PREVIEW_POINTS, isPreviewPoint),
  track: listOf(MAX_TRACK_POINTS, isTrackPoint),
} as const;

/**
 * A summary SampleSummaryBuilder made: the checks of sampleSummarySchema, but its histograms, track and preview
 * (up to 8,448 small objects the builder made itself, in the schema's key order) are checked by a loop and kept
 * as they are instead of zod rebuilding every bin and point. Data from outside (stored rows, providers) goes through
 * sampleSummarySchema.
 */
export const builtSampleSummarySchema = sampleSummarySchema.extend({
  speedSeconds: z.custom<number[]>(BUILT_SUMMARY_CHECKS.speedSeconds),
  heartRateSeconds: z.custom<number[]>(BUILT_SUMMARY_CHECKS.heartRateSeconds),
  cadenceSeconds: z.custom<number[]>(BUILT_SUMMARY_CHECKS.cadenceSeconds).optional(),
  preview: z.custom<SamplePreviewPoint[]>(BUILT_SUMMARY_CHECKS.preview),
  track: z.custom<SampleTrackPoint[]>(BUILT_SUMMARY_CHECKS.track).optional(),
});

export type BuildSampleSummaryParameters = Iterable<SamplePoint>;
export type BuildSampleSummaryReturnType = SampleSummary;

/** Builds a summary from a finite list of samples (tests and small inputs); parsers stream into the builder. */
export function buildSampleSummary(points: BuildSampleSummaryParameters): BuildSampleSummaryReturnType {
  const builder = new SampleSummaryBuilder();
  for (const point of points) builder.add(point);
  return builder.finish();
}

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance in metres. */
export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  return haversineCosM(lat1, lon1, cosOfLatitude(lat1), lat2, lon2, cosOfLatitude(lat2));
}

/** The cosine of a latitude in degrees, as haversineM computes it. */
export function cosOfLatitude(lat: number): number {
  return Math.cos(lat * RAD);
}

/**
 * haversineM given the cosines of both latitudes (cosOfLatitude): the same operations in the same order, so
 * the same double, for callers that measure a chain of fixes and so compute each fix's cosine once, not twice.
 */
export function haversineCosM(
  lat1: number,
  lon1: number,
  cosLat1: number,
  lat2: number,
  lon2: number,
  cosLat2: number,
): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + cosLat1 * cosLat2 * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

function isFiniteNumber(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

interface PreviousSample {
  time: number;
  cadence?: number;
  lat?: number;
  lon?: number;
  altitudeM?: number;
  distanceM?: number;
  heartRate?: number;
}

/** Heart-rate readings: count, range and mean (time-weighted when samples are timed), and time per bin. */
class HeartRateStats {
  points = 0;
  readonly range = new ValueRange();
  #sum = 0;
  #weightedSum = 0;
  #weight = 0;
  readonly seconds = new Array<number>(HEART_RATE_BINS).fill(0);

  addReading(heartRate: number): void {
    this.points += 1;
    this.#sum += heartRate;
    this.range.add(heartRate);
  }

  /** The reading that held for `dtSec` (the earlier sample's of a pair). */
  addTime(heartRate: number, dtSec: number): void {
    addToBin(this.seconds, heartRate, HEART_RATE_BIN_BPM, dtSec);
    this.#weightedSum += heartRate * dtSec;
    this.#weight += dtSec;
  }

  mean(): number | undefined {
    if (this.points === 0) return undefined;
    return this.#weight > 0 ? this.#weightedSum / this.#weight : this.#sum / this.points;
  }
}

/** A sample's fields once checked: each one present only when finite and within its range. */
interface CleanSample extends Omit<PreviousSample, "time"> {
  time: number | undefined;
  deviceSpeed: number | undefined;
}

/** A sample's fields once checked: each one present only when finite and within its range. */
function isTimed(sample: CleanSample): sample is CleanSample & PreviousSample {
  return sample.time !== undefined;
}

function cleanSample(point: SamplePoint): CleanSample {
  const hasFix =
    isFiniteNumber(point.lat) &&
    isFiniteNumber(point.lon) &&
    Math.abs(point.lat) <= 90 &&
    Math.abs(point.lon) <= 180;
  return {
    time: isFiniteNumber(point.time) ? point.time : undefined,
    lat: hasFix ? point.lat : undefined,
    lon: hasFix ? point.lon : undefined,
    altitudeM: isFiniteNumber(point.altitudeM) ? point.altitudeM : undefined,
    distanceM: isFiniteNumber(point.distanceM) && point.distanceM >= 0 ? point.distanceM : undefined,
    heartRate: isFiniteNumber(point.heartRate) && point.heartRate > 0 ? point.heartRate : undefined,
    cadence: isFiniteNumber(point.cadence) && point.cadence > 0 ? point.cadence : undefined,
    deviceSpeed: isFiniteNumber(point.speedMps) && point.speedMps >= 0 ? point.speedMps : undefined,
  };
}

/** Streaming builder: `add` every sample in file order, `breakSegment` at a track-segment boundary, then `finish`. */
export class SampleSummaryBuilder {
  #points = 0;
  #timedPoints = 0;
  #firstTime: number | undefined;
  #lastTime: number | undefined;
  readonly #time = new ValueRange();
  #backwardSteps = 0;
  #maxBackwardSec = 0;
  #repeatedTimes = 0;
  readonly #intervals = new IntervalHistogram();
  #positionedPoints = 0;
  #pathM = 0;
  readonly #lat = new ValueRange();
  readonly #lon = new ValueRange();
  readonly #distance = new ValueRange();
  readonly #heartRate = new HeartRateStats();
  #powerPoints = 0;
  #cadencePoints = 0;
  readonly #cadenceSeconds = new Array<number>(CADENCE_BINS).fill(0);
  readonly #speedSeconds = new Array<number>(SPEED_BINS).fill(0);
  readonly #climb = new ClimbCounter(CLIMB_HYSTERESIS_M);
  readonly #distanceSteps = new DistanceSteps(DISTANCE_STEP_ROUNDING_M, MAX_DISTANCE_STEP_SIZES);
  readonly #jumps = new FastestJumps<SampleJump>(MAX_JUMPS);
  readonly #power = new PeakPowerWindow(POWER_WINDOW_SEC);
  readonly #preview = new EvenSample<SamplePreviewPoint>(MAX_PREVIEW_POINTS);
  readonly #track = new EvenSample<SampleTrackPoint>(MAX_TRACK_POINTS);
  /** Last timed sample of the current segment. */
  #previous: PreviousSample | undefined;
  /** Last positioned sample of the current segment (timed or not), for the path length, with its cosOfLatitude. */
  #previousFix: { lat: number; lon: number; cosLat: number } | undefined;
  /** The sample whose fix is #previousFix (a fix is paired with the previous timed sample only when it is that). */
  #previousFixSample: CleanSample | undefined;

  add(point: SamplePoint): void {
    this.#points += 1;
    const sample = cleanSample(point);
    const { time, lat, lon, altitudeM, distanceM, heartRate, cadence, deviceSpeed } = sample;
    // The distance from the previous fix when that fix is the previous timed sample's: the pair's distance too.
    const fixStep = lat !== undefined && lon !== undefined ? this.#addFix(sample, lat, lon) : undefined;
    if (distanceM !== undefined) this.#distance.add(distanceM);
    if (heartRate !== undefined) this.#heartRate.addReading(heartRate);
    if (isFiniteNumber(point.powerW) && point.powerW > 0) this.#powerPoints += 1;
    if (cadence !== undefined) this.#cadencePoints += 1;
    if (altitudeM !== undefined) this.#climb.add(altitudeM);

    let pairSpeed: number | undefined;
    if (isTimed(sample)) pairSpeed = this.#addTimed(sample, deviceSpeed, fixStep);
    if (this.#preview.takesNext())
      this.#preview.push(previewPoint(time, lat, lon, heartRate, deviceSpeed ?? pairSpeed));
  }

  /** The next sample starts a new segment: it is not paired with the previous one (GPX <trkseg>, FIT sessions). */
  breakSegment(): void {
    this.#previous = undefined;
    this.#previousFix = undefined;
    this.#previousFixSample = undefined;
    this.#power.reset();
  }

  finish(): SampleSummary {
    const medianIntervalSec = this.#intervals.median();
    const cap = Math.min(MAX_PAIR_GAP_SEC, Math.max(MIN_MOVING_GAP_CAP_SEC, 4 * (medianIntervalSec ?? 0)));
    const heartRate = this.#heartRate;
    const hasHeartRate = heartRate.points > 0;
    const timed = this.#timedPoints > 0;
    return {
      points: this.#points,
      timedPoints: this.#timedPoints,
      firstTime: this.#firstTime,
      lastTime: this.#lastTime,
      minTime: timed ? this.#time.min : undefined,
      maxTime: timed ? this.#time.max : undefined,
      backwardSteps: this.#backwardSteps,
      maxBackwardSec: this.#maxBackwardSec,
      repeatedTimes: this.#repeatedTimes,
      medianIntervalSec,
      movingSec: this.#intervals.coveredSec(cap),
      positionedPoints: this.#positionedPoints,
      pathM: this.#pathM,
      extentM:
        this.#positionedPoints > 0
          ? haversineM(this.#lat.min, this.#lon.min, this.#lat.max, this.#lon.max)
          : 0,
      recordedDistanceM: this.#distance.empty ? 0 : this.#distance.max - this.#distance.min,
      heartRatePoints: heartRate.points,
      heartRateMin: hasHeartRate ? heartRate.range.min : undefined,
      heartRateMax: hasHeartRate ? heartRate.range.max : undefined,
      heartRateMean: heartRate.mean(),
      powerPoints: this.#powerPoints,
      cadencePoints: this.#cadencePoints,
      speedSeconds: [...this.#speedSeconds],
      heartRateSeconds: [...heartRate.seconds],
      jumps: this.#jumps.copy(),
      peakPowerW: this.#power.peakW,
      cadenceSeconds: [...this.#cadenceSeconds],
      climbM: Math.round(this.#climb.climbM * 10) / 10,
      distanceSteps: this.#distanceSteps.summary(),
      preview: this.#preview.copy(),
      ...(this.#track.length > 0 ? { track: this.#track.copy() } : {}),
    };
  }

  /** Returns the distance from the previous fix when that fix is the previous timed sample's. */
  #addFix(sample: CleanSample, lat: number, lon: number): number | undefined {
    this.#positionedPoints += 1;
    this.#lat.add(lat);
    this.#lon.add(lon);
    let step: number | undefined;
    const previousFix = this.#previousFix;
    const cosLat = cosOfLatitude(lat);
    if (previousFix !== undefined) {
      step = haversineCosM(previousFix.lat, previousFix.lon, previousFix.cosLat, lat, lon, cosLat);
      this.#pathM += step;
    }
    const fromPreviousTimed = this.#previous !== undefined && this.#previousFixSample === this.#previous;
    if (previousFix === undefined) this.#previousFix = { lat, lon, cosLat };
    else {
      previousFix.lat = lat;
      previousFix.lon = lon;
      previousFix.cosLat = cosLat;
    }
    this.#previousFixSample = sample;
    return fromPreviousTimed ? step : undefined;
  }

  /** A timed sample: time coverage, the pair it closes with the previous one, the track; returns the pair's speed. */
  #addTimed(
    current: PreviousSample,
    deviceSpeed: number | undefined,
    fixStep: number | undefined,
  ): number | undefined {
    const { time, lat, lon } = current;
    this.#timedPoints += 1;
    this.#firstTime ??= time;
    this.#lastTime = time;
    this.#time.add(time);
    const previous = this.#previous;
    const pairSpeed =
      previous !== undefined ? this.#addPair(previous, current, deviceSpeed, fixStep) : undefined;
    this.#previous = current;
    if (lat !== undefined && lon !== undefined && this.#track.takesNext())
      this.#track.push({ time, lat, lon });
    return pairSpeed;
  }

  /** Statistics of one pair of consecutive timed samples; returns the pair's speed when it has one. */
  #addPair(
    previous: PreviousSample,
    current: PreviousSample,
    deviceSpeed: number | undefined,
    fixStep: number | undefined,
  ): number | undefined {
    const dtSec = (current.time - previous.time) / 1000;
    if (dtSec < 0) {
      this.#backwardSteps += 1;
      this.#maxBackwardSec = Math.max(this.#maxBackwardSec, -dtSec);
      this.#power.reset();
      return undefined;
    }
    if (dtSec === 0) this.#repeatedTimes += 1;
    const fixDistance = this.#addJump(previous, current, dtSec, fixStep);
    if (dtSec === 0) return undefined;
    this.#intervals.add(dtSec);
    if (dtSec > MAX_PAIR_GAP_SEC) {
      this.#power.reset();
      return undefined;
    }
    const speed = pairSpeedOf(previous, current, dtSec, fixDistance, deviceSpeed);
    if (speed !== undefined) addToBin(this.#speedSeconds, speed, SPEED_BIN_MPS, dtSec);
    if (previous.heartRate !== undefined) this.#heartRate.addTime(previous.heartRate, dtSec);
    if (previous.cadence !== undefined)
      addToBin(this.#cadenceSeconds, previous.cadence, CADENCE_BIN_PER_MIN, dtSec);
    if (
      previous.distanceM !== undefined &&
      current.distanceM !== undefined &&
      current.distanceM > previous.distanceM
    ) {
      this.#distanceSteps.add(current.distanceM - previous.distanceM);
    }
    if (speed !== undefined && dtSec <= MAX_POWER_PAIR_SEC) {
      this.#power.add(speed, dtSec, previous.altitudeM, current.altitudeM);
    } else {
      this.#power.reset();
    }
    return speed;
  }

  /**
   * The distance between the pair's fixes, when both have one (`fixStep` when #addFix measured it already); a
   * long one is kept as a jump.
   */
  #addJump(
    previous: PreviousSample,
    current: PreviousSample,
    dtSec: number,
    fixStep: number | undefined,
  ): number | undefined {
    if (
      previous.lat === undefined ||
      previous.lon === undefined ||
      current.lat === undefined ||
      current.lon === undefined
    ) {
      return undefined;
    }
    const distanceM = fixStep ?? haversineM(previous.lat, previous.lon, current.lat, current.lon);
    if (distanceM >= JUMP_MIN_DISTANCE_M) this.#jumps.add({ time: current.time, distanceM, dtSec });
    return distanceM;
  }
}

/**
 * A pair's speed: the device's cumulative distance (smoothed, works indoors) first, then the GPS fixes, then the
 * device's instantaneous speed.
 */
function pairSpeedOf(
  previous: PreviousSample,
  current: PreviousSample,
  dtSec: number,
  fixDistance: number | undefined,
  deviceSpeed: number | undefined,
): number | undefined {
  let groundDistance: number | undefined;
  if (
    previous.distanceM !== undefined &&
    current.distanceM !== undefined &&
    current.distanceM >= previous.distanceM
  ) {
    groundDistance = current.distanceM - previous.distanceM;
  } else if (fixDistance !== undefined) {
    groundDistance = fixDistance;
  }
  if (groundDistance !== undefined) return groundDistance / dtSec;
  return deviceSpeed;
}

function previewPoint(
  time: number | undefined,
  lat: number | undefined,
  lon: number | undefined,
  heartRate: number | undefined,
  speedMps: number | undefined,
): SamplePreviewPoint {
  const clean: SamplePreviewPoint = {};
  if (time !== undefined) clean.time = time;
  if (lat !== undefined && lon !== undefined) {
    clean.lat = lat;
    clean.lon = lon;
  }
  if (heartRate !== undefined) clean.heartRate = heartRate;
  if (speedMps !== undefined && Number.isFinite(speedMps)) clean.speedMps = speedMps;
  return clean;
}
