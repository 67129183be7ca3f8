import { z } from "zod";

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

/**
 * Deliberately lenient constants of the cycling power model (they under-estimate the power a real rider needs,
 * so only physically impossible segments stand out): a light rider and bike, a time-trial drag area and
 * race-tyre rolling resistance.
 */
const POWER_MODEL = {
  /** Rider + bike mass, kg. */
  massKg: 70,
  /** Drag area CdA, m² (time-trial position; hoods are ~0.32). */
  dragAreaM2: 0.25,
  /** Air density at sea level, kg/m³. */
  airDensity: 1.2,
  /** Rolling resistance coefficient of good road tyres. */
  rollingResistance: 0.003,
  /** Standard gravity, m/s². */
  gravity: 9.81,
  /** Altitude steps larger than this between two samples are glitches and ignored, m. */
  maxAltitudeStepM: 50,
} as const;

/** Pairs longer than this do not feed the power estimate (too coarse to say anything about 30 s). */
const MAX_POWER_PAIR_SEC = 60;
/** Log-scale bins for the sampling-interval histogram: 4 per doubling, from 1 ms up. */
const INTERVAL_BINS_PER_OCTAVE = 4;
const INTERVAL_BIN_MIN_SEC = 0.001;
const INTERVAL_BINS = 120;

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
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
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

/** Streaming builder: `add` every sample in file order, `breakSegment` at a track-segment boundary, then `finish`. */
export class SampleSummaryBuilder {
  #points = 0;
  #timedPoints = 0;
  #firstTime: number | undefined;
  #lastTime: number | undefined;
  #minTime = Number.POSITIVE_INFINITY;
  #maxTime = Number.NEGATIVE_INFINITY;
  #backwardSteps = 0;
  #maxBackwardSec = 0;
  #repeatedTimes = 0;
  #intervalCounts = new Array<number>(INTERVAL_BINS).fill(0);
  #intervalSums = new Array<number>(INTERVAL_BINS).fill(0);
  #positionedPoints = 0;
  #pathM = 0;
  #minLat = Number.POSITIVE_INFINITY;
  #maxLat = Number.NEGATIVE_INFINITY;
  #minLon = Number.POSITIVE_INFINITY;
  #maxLon = Number.NEGATIVE_INFINITY;
  #minDistance = Number.POSITIVE_INFINITY;
  #maxDistance = Number.NEGATIVE_INFINITY;
  #heartRatePoints = 0;
  #heartRateMin = Number.POSITIVE_INFINITY;
  #heartRateMax = Number.NEGATIVE_INFINITY;
  #heartRateSum = 0;
  #heartRateWeightedSum = 0;
  #heartRateWeight = 0;
  #powerPoints = 0;
  #cadencePoints = 0;
  #cadenceSeconds = new Array<number>(CADENCE_BINS).fill(0);
  #climbM = 0;
  /** Altitude of the last turning point of the climb counter. */
  #climbReference: number | undefined;
  #distanceStepCount = 0;
  #distanceStepSizes = new Map<number, number>();
  #speedSeconds = new Array<number>(SPEED_BINS).fill(0);
  #heartRateSeconds = new Array<number>(HEART_RATE_BINS).fill(0);
  #jumps: SampleJump[] = [];
  #peakPowerW: number | undefined;
  #preview: SamplePreviewPoint[] = [];
  #previewStride = 1;
  #previewCounter = 0;
  #track: SampleTrackPoint[] = [];
  #trackStride = 1;
  #trackCounter = 0;
  /** Last timed sample of the current segment. */
  #previous: PreviousSample | undefined;
  /** Last positioned sample of the current segment (timed or not), for the path length. */
  #previousFix: { lat: number; lon: number } | undefined;
  /** Power window: cumulative (seconds, joules) marks since the last reset, and the previous pair's speed. */
  #powerMarks: { t: number; e: number }[] = [];
  #powerHead = 0;
  #powerSeconds = 0;
  #powerJoules = 0;
  #powerPreviousSpeed: number | undefined;

  add(point: SamplePoint): void {
    this.#points += 1;
    const time = isFiniteNumber(point.time) ? point.time : undefined;
    const hasFix =
      isFiniteNumber(point.lat) &&
      isFiniteNumber(point.lon) &&
      Math.abs(point.lat) <= 90 &&
      Math.abs(point.lon) <= 180;
    const lat = hasFix ? point.lat : undefined;
    const lon = hasFix ? point.lon : undefined;
    const heartRate = isFiniteNumber(point.heartRate) && point.heartRate > 0 ? point.heartRate : undefined;
    const altitudeM = isFiniteNumber(point.altitudeM) ? point.altitudeM : undefined;
    const distanceM = isFiniteNumber(point.distanceM) && point.distanceM >= 0 ? point.distanceM : undefined;
    const deviceSpeed = isFiniteNumber(point.speedMps) && point.speedMps >= 0 ? point.speedMps : undefined;

    if (lat !== undefined && lon !== undefined) {
      this.#positionedPoints += 1;
      this.#minLat = Math.min(this.#minLat, lat);
      this.#maxLat = Math.max(this.#maxLat, lat);
      this.#minLon = Math.min(this.#minLon, lon);
      this.#maxLon = Math.max(this.#maxLon, lon);
      if (this.#previousFix !== undefined) {
        this.#pathM += haversineM(this.#previousFix.lat, this.#previousFix.lon, lat, lon);
      }
      this.#previousFix = { lat, lon };
    }
    if (distanceM !== undefined) {
      this.#minDistance = Math.min(this.#minDistance, distanceM);
      this.#maxDistance = Math.max(this.#maxDistance, distanceM);
    }
    if (heartRate !== undefined) {
      this.#heartRatePoints += 1;
      this.#heartRateSum += heartRate;
      this.#heartRateMin = Math.min(this.#heartRateMin, heartRate);
      this.#heartRateMax = Math.max(this.#heartRateMax, heartRate);
    }
    if (isFiniteNumber(point.powerW) && point.powerW > 0) this.#powerPoints += 1;
    const cadence = isFiniteNumber(point.cadence) && point.cadence > 0 ? point.cadence : undefined;
    if (cadence !== undefined) this.#cadencePoints += 1;
    if (altitudeM !== undefined) this.#addAltitude(altitudeM);

    let pairSpeed: number | undefined;
    if (time !== undefined) {
      this.#timedPoints += 1;
      this.#firstTime ??= time;
      this.#lastTime = time;
      this.#minTime = Math.min(this.#minTime, time);
      this.#maxTime = Math.max(this.#maxTime, time);
      const previous = this.#previous;
      if (previous !== undefined) {
        pairSpeed = this.#addPair(
          previous,
          { time, lat, lon, altitudeM, distanceM, heartRate, cadence },
          deviceSpeed,
        );
      }
      this.#previous = { time, lat, lon, altitudeM, distanceM, heartRate, cadence };
      if (lat !== undefined && lon !== undefined) this.#addTrack({ time, lat, lon });
    }
    this.#addPreview({
      time,
      lat,
      lon,
      heartRate,
      speedMps: deviceSpeed ?? pairSpeed,
    });
  }

  /** The next sample starts a new segment: it is not paired with the previous one (GPX <trkseg>, FIT sessions). */
  breakSegment(): void {
    this.#previous = undefined;
    this.#previousFix = undefined;
    this.#resetPower();
  }

  finish(): SampleSummary {
    const medianIntervalSec = this.#medianInterval();
    const cap = Math.min(MAX_PAIR_GAP_SEC, Math.max(MIN_MOVING_GAP_CAP_SEC, 4 * (medianIntervalSec ?? 0)));
    let movingSec = 0;
    for (let bin = 0; bin < INTERVAL_BINS; bin += 1) {
      const count = this.#intervalCounts[bin] ?? 0;
      if (count === 0) continue;
      const lower = INTERVAL_BIN_MIN_SEC * 2 ** (bin / INTERVAL_BINS_PER_OCTAVE);
      // Bins entirely above the cap are pauses; the one straddling it contributes at most count x cap.
      if (lower > cap) continue;
      movingSec += Math.min(this.#intervalSums[bin] ?? 0, count * cap);
    }
    const hasHeartRate = this.#heartRatePoints > 0;
    return {
      points: this.#points,
      timedPoints: this.#timedPoints,
      firstTime: this.#firstTime,
      lastTime: this.#lastTime,
      minTime: this.#timedPoints > 0 ? this.#minTime : undefined,
      maxTime: this.#timedPoints > 0 ? this.#maxTime : undefined,
      backwardSteps: this.#backwardSteps,
      maxBackwardSec: this.#maxBackwardSec,
      repeatedTimes: this.#repeatedTimes,
      medianIntervalSec,
      movingSec,
      positionedPoints: this.#positionedPoints,
      pathM: this.#pathM,
      extentM:
        this.#positionedPoints > 0 ? haversineM(this.#minLat, this.#minLon, this.#maxLat, this.#maxLon) : 0,
      recordedDistanceM: this.#maxDistance >= this.#minDistance ? this.#maxDistance - this.#minDistance : 0,
      heartRatePoints: this.#heartRatePoints,
      heartRateMin: hasHeartRate ? this.#heartRateMin : undefined,
      heartRateMax: hasHeartRate ? this.#heartRateMax : undefined,
      heartRateMean: !hasHeartRate
        ? undefined
        : this.#heartRateWeight > 0
          ? this.#heartRateWeightedSum / this.#heartRateWeight
          : this.#heartRateSum / this.#heartRatePoints,
      powerPoints: this.#powerPoints,
      cadencePoints: this.#cadencePoints,
      speedSeconds: [...this.#speedSeconds],
      heartRateSeconds: [...this.#heartRateSeconds],
      jumps: this.#jumps.map((jump) => ({ ...jump })),
      peakPowerW: this.#peakPowerW,
      cadenceSeconds: [...this.#cadenceSeconds],
      climbM: Math.round(this.#climbM * 10) / 10,
      distanceSteps: this.#distanceStepSummary(),
      preview: this.#preview.map((point) => ({ ...point })),
      ...(this.#track.length > 0 ? { track: this.#track.map((point) => ({ ...point })) } : {}),
    };
  }

  /** Statistics of one pair of consecutive timed samples; returns the pair's speed when it has one. */
  #addPair(
    previous: PreviousSample,
    current: PreviousSample,
    deviceSpeed: number | undefined,
  ): number | undefined {
    const dtSec = (current.time - previous.time) / 1000;
    if (dtSec < 0) {
      this.#backwardSteps += 1;
      this.#maxBackwardSec = Math.max(this.#maxBackwardSec, -dtSec);
      this.#resetPower();
      return undefined;
    }
    if (dtSec === 0) this.#repeatedTimes += 1;

    let fixDistance: number | undefined;
    if (
      previous.lat !== undefined &&
      previous.lon !== undefined &&
      current.lat !== undefined &&
      current.lon !== undefined
    ) {
      fixDistance = haversineM(previous.lat, previous.lon, current.lat, current.lon);
      if (fixDistance >= JUMP_MIN_DISTANCE_M)
        this.#addJump({ time: current.time, distanceM: fixDistance, dtSec });
    }
    if (dtSec === 0) return undefined;

    const bin = Math.min(
      INTERVAL_BINS - 1,
      Math.max(0, Math.floor(Math.log2(dtSec / INTERVAL_BIN_MIN_SEC) * INTERVAL_BINS_PER_OCTAVE)),
    );
    this.#intervalCounts[bin] = (this.#intervalCounts[bin] ?? 0) + 1;
    this.#intervalSums[bin] = (this.#intervalSums[bin] ?? 0) + dtSec;
    if (dtSec > MAX_PAIR_GAP_SEC) {
      this.#resetPower();
      return undefined;
    }

    // The device's cumulative distance is smoothed and works indoors; GPS fixes are the fallback, then the
    // device's instantaneous speed.
    let speed: number | undefined;
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
    if (groundDistance !== undefined) speed = groundDistance / dtSec;
    else if (deviceSpeed !== undefined) speed = deviceSpeed;

    if (speed !== undefined) {
      const speedBin = Math.min(SPEED_BINS - 1, Math.floor(speed / SPEED_BIN_MPS));
      this.#speedSeconds[speedBin] = (this.#speedSeconds[speedBin] ?? 0) + dtSec;
    }
    if (previous.heartRate !== undefined) {
      const hrBin = Math.min(HEART_RATE_BINS - 1, Math.floor(previous.heartRate / HEART_RATE_BIN_BPM));
      this.#heartRateSeconds[hrBin] = (this.#heartRateSeconds[hrBin] ?? 0) + dtSec;
      this.#heartRateWeightedSum += previous.heartRate * dtSec;
      this.#heartRateWeight += dtSec;
    }
    if (previous.cadence !== undefined) {
      const cadenceBin = Math.min(CADENCE_BINS - 1, Math.floor(previous.cadence / CADENCE_BIN_PER_MIN));
      this.#cadenceSeconds[cadenceBin] = (this.#cadenceSeconds[cadenceBin] ?? 0) + dtSec;
    }
    if (
      previous.distanceM !== undefined &&
      current.distanceM !== undefined &&
      current.distanceM > previous.distanceM
    ) {
      this.#addDistanceStep(current.distanceM - previous.distanceM);
    }
    if (speed !== undefined && dtSec <= MAX_POWER_PAIR_SEC) {
      this.#addPower(speed, dtSec, previous.altitudeM, current.altitudeM);
    } else {
      this.#resetPower();
    }
    return speed;
  }

  /** Ascent with hysteresis: a rise counts once it exceeds CLIMB_HYSTERESIS_M above the last low point. */
  #addAltitude(altitudeM: number): void {
    if (this.#climbReference === undefined) {
      this.#climbReference = altitudeM;
      return;
    }
    const rise = altitudeM - this.#climbReference;
    if (rise >= CLIMB_HYSTERESIS_M) {
      this.#climbM += rise;
      this.#climbReference = altitudeM;
    } else if (rise <= -CLIMB_HYSTERESIS_M) {
      this.#climbReference = altitudeM;
    }
  }

  #addDistanceStep(stepM: number): void {
    this.#distanceStepCount += 1;
    const size = Math.round(stepM / DISTANCE_STEP_ROUNDING_M) * DISTANCE_STEP_ROUNDING_M;
    const seen = this.#distanceStepSizes.get(size);
    if (seen !== undefined) this.#distanceStepSizes.set(size, seen + 1);
    else if (this.#distanceStepSizes.size < MAX_DISTANCE_STEP_SIZES) this.#distanceStepSizes.set(size, 1);
  }

  #distanceStepSummary(): { count: number; modeM: number; modeCount: number } {
    let modeM = 0;
    let modeCount = 0;
    for (const [size, count] of this.#distanceStepSizes) {
      if (count > modeCount) {
        modeM = size;
        modeCount = count;
      }
    }
    return { count: this.#distanceStepCount, modeM, modeCount };
  }

  #addJump(jump: SampleJump): void {
    const speedOf = (j: SampleJump) => j.distanceM / Math.max(j.dtSec, 0.001);
    const speed = speedOf(jump);
    const last = this.#jumps[this.#jumps.length - 1];
    if (this.#jumps.length >= MAX_JUMPS && last !== undefined && speedOf(last) >= speed) return;
    let index = this.#jumps.findIndex((j) => speedOf(j) < speed);
    if (index === -1) index = this.#jumps.length;
    this.#jumps.splice(index, 0, jump);
    if (this.#jumps.length > MAX_JUMPS) this.#jumps.pop();
  }

  /**
   * Power a rider would need for this pair: rolling resistance and air drag over the pair, plus the change in
   * potential and kinetic energy (these two telescope over a window, so GPS noise in altitude or speed cancels
   * out instead of adding up).
   */
  #addPower(
    speed: number,
    dtSec: number,
    altitudeFrom: number | undefined,
    altitudeTo: number | undefined,
  ): void {
    const m = POWER_MODEL;
    let joules =
      (m.massKg * m.gravity * m.rollingResistance * speed + 0.5 * m.airDensity * m.dragAreaM2 * speed ** 3) *
      dtSec;
    if (altitudeFrom !== undefined && altitudeTo !== undefined) {
      const climb = altitudeTo - altitudeFrom;
      if (Math.abs(climb) <= m.maxAltitudeStepM) joules += m.massKg * m.gravity * climb;
    }
    if (this.#powerPreviousSpeed !== undefined) {
      joules += 0.5 * m.massKg * (speed ** 2 - this.#powerPreviousSpeed ** 2);
    }
    this.#powerPreviousSpeed = speed;
    if (this.#powerMarks.length === 0) this.#powerMarks.push({ t: 0, e: 0 });
    this.#powerSeconds += dtSec;
    this.#powerJoules += joules;
    const now = this.#powerSeconds;
    // Keep the latest mark that is still at least one window old at the head.
    while (this.#powerHead + 1 < this.#powerMarks.length) {
      const next = this.#powerMarks[this.#powerHead + 1];
      if (next === undefined || now - next.t < POWER_WINDOW_SEC) break;
      this.#powerHead += 1;
    }
    const head = this.#powerMarks[this.#powerHead];
    if (head !== undefined && now - head.t >= POWER_WINDOW_SEC) {
      const average = (this.#powerJoules - head.e) / (now - head.t);
      this.#peakPowerW = Math.max(this.#peakPowerW ?? Number.NEGATIVE_INFINITY, average);
    }
    this.#powerMarks.push({ t: now, e: this.#powerJoules });
    // Compact the queue now and then so it stays bounded by the samples of one window.
    if (this.#powerHead > 1024) {
      this.#powerMarks = this.#powerMarks.slice(this.#powerHead);
      this.#powerHead = 0;
    }
  }

  #resetPower(): void {
    this.#powerMarks = [];
    this.#powerHead = 0;
    this.#powerSeconds = 0;
    this.#powerJoules = 0;
    this.#powerPreviousSpeed = undefined;
  }

  #addPreview(point: SamplePreviewPoint): void {
    this.#previewCounter += 1;
    if ((this.#previewCounter - 1) % this.#previewStride !== 0) return;
    const clean: SamplePreviewPoint = {};
    if (point.time !== undefined) clean.time = point.time;
    if (point.lat !== undefined && point.lon !== undefined) {
      clean.lat = point.lat;
      clean.lon = point.lon;
    }
    if (point.heartRate !== undefined) clean.heartRate = point.heartRate;
    if (point.speedMps !== undefined && Number.isFinite(point.speedMps)) clean.speedMps = point.speedMps;
    this.#preview.push(clean);
    if (this.#preview.length >= MAX_PREVIEW_POINTS) {
      // Halve the preview and the sampling rate: it stays evenly spread over the whole activity.
      this.#preview = this.#preview.filter((_, index) => index % 2 === 0);
      this.#previewStride *= 2;
    }
  }

  #addTrack(point: SampleTrackPoint): void {
    this.#trackCounter += 1;
    if ((this.#trackCounter - 1) % this.#trackStride !== 0) return;
    this.#track.push(point);
    if (this.#track.length >= MAX_TRACK_POINTS) {
      this.#track = this.#track.filter((_, index) => index % 2 === 0);
      this.#trackStride *= 2;
    }
  }

  #medianInterval(): number | undefined {
    const total = this.#intervalCounts.reduce((sum, count) => sum + count, 0);
    if (total === 0) return undefined;
    let seen = 0;
    for (let bin = 0; bin < INTERVAL_BINS; bin += 1) {
      const count = this.#intervalCounts[bin] ?? 0;
      seen += count;
      if (seen * 2 >= total) return (this.#intervalSums[bin] ?? 0) / count;
    }
    return undefined;
  }
}
