import type { ParsedActivity } from "./parsedActivity.ts";
import {
  CADENCE_BIN_PER_MIN,
  HEART_RATE_BIN_BPM,
  type SampleSummary,
  SPEED_BIN_MPS,
} from "./sampleSummary.ts";
import { leavesSportOpen, type Sport } from "./sport.ts";
import { SPORT_LIMITS } from "./sportLimits.ts";

/**
 * The sport of an activity whose file names none (GPX without <type>, TCX `Sport="Other"`, FIT `generic` or no
 * session at all), inferred from its data. PURE: the same summary always gives the same answer.
 *
 * It reads, in this order of strength: pool-length structure (a distance that grows by the pool length, no GPS),
 * the cadence and what it counts (steps, pedal strokes, oar strokes), a power meter, the median and 90th
 * percentile of the moving speed, elevation gain per km and the heart-rate trace. Each rule below gives a
 * confidence; the best one wins when it reaches INFERENCE_MIN_CONFIDENCE, else the sport stays "other" and the
 * message says why. The thresholds are deliberately conservative: a wrong sport would count a workout for a
 * rule it does not meet, while "other" only asks the person to say what it was (they may declare the sport;
 * the plausibility limits of sportLimits.ts still apply to whatever is declared or inferred).
 */

/** Below this confidence the sport stays "other". */
export const INFERENCE_MIN_CONFIDENCE = 0.6;

/** Named thresholds of the rules; every number says what it separates. */
export const INFERENCE_THRESHOLDS = {
  /** Less moving time than this (s), and no pool lengths, is too little to tell anything. */
  minMovingSec: 60,
  /** Movement: GPS fixes spanning at least this, or the device distance growing by this (m). */
  minMovementM: 50,
  /** A trace (heart rate, power, cadence) needs at least this many readings. */
  minSignalPoints: 10,
  /** Stationary sessions need a heart-rate trace at least this long to be a strength session (s). */
  minStrengthHeartRateSec: 600,
  /** ...a mean heart rate of at least this (bpm: above resting, a working session)... */
  minStrengthMeanHeartRate: 90,
  /** ...but at most this: a steady mean above it for a whole session is cardio on a machine, not sets. */
  maxStrengthMeanHeartRate: 125,
  /** ...and swings between sets of at least this (bpm, 10th to 90th percentile). */
  minStrengthHeartRateSwing: 25,
  /** Pool swim: at least this many distance steps, this share of them the same size, the size within these. */
  minPoolLengths: 4,
  minPoolLengthShare: 0.6,
  poolLengthM: [15, 55],
  /** Pool swim: median moving speed within this (m/s; the 1,500 m record averages 1.7 m/s). */
  poolSpeedMps: [0.3, 2.2],
  /** Walking speeds (m/s): 1.8 to 7.6 km/h. */
  walkSpeedMps: [0.5, 2.1],
  /** Running speeds (m/s): 7.6 to 23.4 km/h (the run limit of sportLimits.ts is 25.2). */
  runSpeedMps: [2.1, 6.5],
  /** A run's 90th-percentile speed stays below the larger of this (m/s)... */
  maxRunP90SpeedMps: 5.5,
  /** ...and this multiple of its median: a ride's descents and flats do not. */
  maxRunP90ToMedian: 1.5,
  /** A tenth of the time faster than this (m/s, 60 km/h, the ride limit) is a motor vehicle. */
  maxRideP90SpeedMps: SPORT_LIMITS.ride.maxMedianSpeedMps,
  /** Without cadence or power, speeds between this and the run band's top are either a fast run or a slow ride. */
  ambiguousRideRunMps: 4.5,
  /** Riding speeds (m/s) from a power meter or pedal cadence: 9 km/h up to the ride limit of sportLimits.ts. */
  rideSpeedMps: [2.5, SPORT_LIMITS.ride.maxMedianSpeedMps],
  /** Rowing speeds (m/s) with a stroke rate: 5.4 to 23.4 km/h. */
  rowSpeedMps: [1.5, 6.5],
  /** Cadence readings that can only be steps of both feet (per minute). */
  fullStepCadence: [130, 230],
  /** Cadence that is either pedal rpm or the steps of one foot (per minute): speed decides. */
  pedalOrFootCadence: [45, 130],
  /** Oar or swim stroke rate (per minute). */
  strokeRate: [14, 44],
  /** Open-water swimming speeds with a stroke rate (m/s): below rowing, the 1,500 m record is 1.7 m/s. */
  swimStrokeSpeedMps: [0.4, 1.5],
  /** Climbing at least this many metres per km at walking speed is hiking, not paddling. */
  hikeClimbPerKm: 40,
  /** A mean heart rate of at least this supports a run (bpm). */
  runHeartRate: 120,
} as const;

export interface SportInference {
  /** The inferred sport, or "other" when the confidence is below INFERENCE_MIN_CONFIDENCE. */
  sport: Sport;
  /** The best candidate, even when it was not good enough. */
  candidate: Sport;
  /** 0..1, two decimals. */
  confidence: number;
  /** What the inference read, for people ("median pace 5:10 /km", "cadence 168 spm"). */
  basis: string[];
  /**
   * One sentence: `sport inferred: run — median pace 5:10 /km, cadence 168 spm (confidence 0.85)` or
   * `sport not inferred (confidence 0.50, needs 0.60): walking pace 4.1 km/h but no step cadence …`.
   */
  message: string;
}

export type InferSportParameters = Pick<ParsedActivity, "samples" | "cadenceKind" | "lapStepCadence">;
export type InferSportReturnType = SportInference;

/** What the rules read from a sample summary. */
export interface SportFeatures {
  movingSec: number;
  medianSpeedMps: number | undefined;
  p90SpeedMps: number | undefined;
  gps: boolean;
  moved: boolean;
  /** Time-weighted median cadence, per minute, as the device counts it. */
  cadence: number | undefined;
  cadenceKind: "pedal" | "steps" | undefined;
  /** Steps per minute of both feet, from the lap summaries. */
  lapStepsPerMin: number | undefined;
  power: boolean;
  heartRateSec: number;
  heartRateMean: number | undefined;
  /** 90th minus 10th percentile of the heart rate, bpm. */
  heartRateSwing: number | undefined;
  climbPerKm: number | undefined;
  poolLength: { lengthM: number; lengths: number; share: number } | undefined;
}

function between(value: number | undefined, [low, high]: readonly [number, number]): value is number {
  return value !== undefined && value >= low && value <= high;
}

/** Time-weighted quantile of a histogram whose bin `i` covers [i x width, (i + 1) x width), at the bin's middle. */
function quantile(bins: readonly number[], width: number, q: number, fromBin = 0): number | undefined {
  let total = 0;
  for (let i = fromBin; i < bins.length; i += 1) total += bins[i] ?? 0;
  if (total <= 0) return undefined;
  let seen = 0;
  for (let i = fromBin; i < bins.length; i += 1) {
    seen += bins[i] ?? 0;
    if (seen >= q * total) return (i + 0.5) * width;
  }
  return undefined;
}

export function sportFeatures(activity: InferSportParameters): SportFeatures {
  const s: SampleSummary = activity.samples;
  let movingSec = 0;
  for (let i = 1; i < s.speedSeconds.length; i += 1) movingSec += s.speedSeconds[i] ?? 0;
  const distanceM = Math.max(s.recordedDistanceM, s.pathM);
  const steps = s.distanceSteps;
  const gps = s.positionedPoints >= t.minSignalPoints && s.extentM >= t.minMovementM;
  let heartRateSec = 0;
  for (const seconds of s.heartRateSeconds) heartRateSec += seconds;
  const p10 = quantile(s.heartRateSeconds, HEART_RATE_BIN_BPM, 0.1);
  const p90 = quantile(s.heartRateSeconds, HEART_RATE_BIN_BPM, 0.9);
  return {
    movingSec,
    medianSpeedMps: quantile(s.speedSeconds, SPEED_BIN_MPS, 0.5, 1),
    p90SpeedMps: quantile(s.speedSeconds, SPEED_BIN_MPS, 0.9, 1),
    gps,
    moved: s.extentM >= t.minMovementM || s.recordedDistanceM >= t.minMovementM,
    cadence:
      s.cadencePoints >= t.minSignalPoints && s.cadenceSeconds !== undefined
        ? quantile(s.cadenceSeconds, CADENCE_BIN_PER_MIN, 0.5)
        : undefined,
    cadenceKind: activity.cadenceKind,
    lapStepsPerMin: activity.lapStepCadence !== undefined ? activity.lapStepCadence * 2 : undefined,
    power: s.powerPoints >= t.minSignalPoints,
    heartRateSec,
    heartRateMean: s.heartRatePoints >= t.minSignalPoints ? s.heartRateMean : undefined,
    heartRateSwing: p10 !== undefined && p90 !== undefined ? p90 - p10 : undefined,
    climbPerKm: s.climbM !== undefined && distanceM >= 500 ? (s.climbM / distanceM) * 1000 : undefined,
    poolLength:
      steps !== undefined && steps.count > 0
        ? { lengthM: steps.modeM, lengths: steps.count, share: steps.modeCount / steps.count }
        : undefined,
  };
}

function pace(speedMps: number, per: number): string {
  const seconds = Math.round(per / speedMps);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

const kmh = (speedMps: number) => `${(speedMps * 3.6).toFixed(1)} km/h`;

/** How the median speed reads for a sport: pace for feet and swimmers, speed for wheels and boats. */
function speedPhrase(sport: Sport, speedMps: number): string {
  if (sport === "run" || sport === "walk") return `median pace ${pace(speedMps, 1000)} /km`;
  if (sport === "swim") return `median pace ${pace(speedMps, 100)} /100 m`;
  return `median speed ${kmh(speedMps)}`;
}

interface Candidate {
  sport: Sport;
  confidence: number;
  basis: string[];
  /** Why it is not better (for a "not inferred" message). */
  doubt?: string;
}

const t = INFERENCE_THRESHOLDS;

/** The candidates the rules find; the caller picks the best. */
function candidatesOf(f: SportFeatures): Candidate[] {
  const m = f.medianSpeedMps;
  const stationary = !f.moved || m === undefined || f.movingSec < t.minMovingSec;
  const found = [poolSwimCandidate(f), stationary ? stationaryCandidate(f) : movingCandidate(f, m)];
  return found.filter((candidate): candidate is Candidate => candidate !== undefined);
}

function heartRatePhrase(f: SportFeatures): string | undefined {
  return f.heartRateMean !== undefined ? `heart rate ${Math.round(f.heartRateMean)} bpm` : undefined;
}

function withHeartRate(f: SportFeatures, basis: string[]): string[] {
  const heartRate = heartRatePhrase(f);
  return heartRate !== undefined ? [...basis, heartRate] : basis;
}

/** Pool lengths: no GPS, the distance grows by one pool length per sample. */
function poolSwimCandidate(f: SportFeatures): Candidate | undefined {
  const pool = f.poolLength;
  const m = f.medianSpeedMps;
  if (
    f.gps ||
    pool === undefined ||
    pool.lengths < t.minPoolLengths ||
    pool.share < t.minPoolLengthShare ||
    !between(pool.lengthM, t.poolLengthM) ||
    !between(m, t.poolSpeedMps)
  ) {
    return undefined;
  }
  return {
    sport: "swim",
    confidence: 0.9,
    basis: [
      `${pool.lengths} lengths, ${Math.round(pool.share * 100)}% of them ${pool.lengthM} m`,
      speedPhrase("swim", m),
      "no GPS",
    ],
  };
}

/** Stationary: a trainer (power, pedal cadence) or a strength session (heart rate swinging between sets). */
function stationaryCandidate(f: SportFeatures): Candidate | undefined {
  if (f.power && between(f.cadence, t.pedalOrFootCadence) && f.cadenceKind !== "steps") {
    return {
      sport: "ride",
      confidence: 0.75,
      basis: ["power and pedal cadence", `cadence ${Math.round(f.cadence)} rpm`, "no movement (a trainer)"],
    };
  }
  if (
    f.moved ||
    f.power ||
    f.cadence !== undefined ||
    f.heartRateSec < t.minStrengthHeartRateSec ||
    f.heartRateMean === undefined
  ) {
    return undefined;
  }
  const working =
    f.heartRateMean >= t.minStrengthMeanHeartRate && f.heartRateMean <= t.maxStrengthMeanHeartRate;
  const swinging = f.heartRateSwing !== undefined && f.heartRateSwing >= t.minStrengthHeartRateSwing;
  return {
    sport: "strength",
    confidence: working && swinging ? 0.65 : 0.45,
    basis: [
      "no movement",
      `heart rate ${Math.round(f.heartRateMean)} bpm, swinging ${Math.round(f.heartRateSwing ?? 0)} bpm`,
      `${Math.round(f.heartRateSec / 60)} min`,
    ],
    ...(working && swinging
      ? {}
      : {
          doubt: `a heart rate of ${Math.round(f.heartRateMean)} bpm swinging ${Math.round(f.heartRateSwing ?? 0)} bpm could be any session in one place`,
        }),
  };
}

/** Moving at median speed `m`: too fast for a sport, else steps, strokes, pedal-or-foot cadence, or no cadence. */
function movingCandidate(f: SportFeatures, m: number): Candidate | undefined {
  if (m > SPORT_LIMITS.ride.maxMedianSpeedMps) {
    return {
      sport: "other",
      confidence: 0,
      basis: [`median speed ${kmh(m)}`],
      doubt: `a median speed of ${kmh(m)} is faster than any sport the rules know`,
    };
  }
  const p90 = f.p90SpeedMps ?? m;
  if (p90 > t.maxRideP90SpeedMps) {
    return {
      sport: "other",
      confidence: 0,
      basis: [`median speed ${kmh(m)}`, `a tenth of the time above ${kmh(p90)}`],
      doubt: `a tenth of the time faster than ${kmh(t.maxRideP90SpeedMps)}: a motor vehicle, not a sport`,
    };
  }
  const runLike = p90 <= Math.max(t.maxRunP90SpeedMps, t.maxRunP90ToMedian * m);
  const cadence = f.cadence;
  const fullSteps = fullStepCadence(f);
  if (fullSteps !== undefined) return stepsCandidate(f, m, fullSteps);
  if (between(cadence, t.strokeRate) && between(m, t.rowSpeedMps)) {
    return {
      sport: "row",
      confidence: f.power ? 0.8 : 0.7,
      basis: [`stroke rate ${Math.round(cadence)} /min`, `median split ${pace(m, 500)} /500 m`],
    };
  }
  if (between(cadence, t.strokeRate) && m < t.swimStrokeSpeedMps[1] && m >= t.swimStrokeSpeedMps[0]) {
    return {
      sport: "swim",
      confidence: 0.65,
      basis: [`stroke rate ${Math.round(cadence)} /min`, speedPhrase("swim", m), ...(f.gps ? ["GPS"] : [])],
    };
  }
  if (between(cadence, t.pedalOrFootCadence)) return pedalOrFootCandidate(f, m, cadence, runLike);
  return noCadenceCandidate(f, m, p90, runLike);
}

/** Steps of both feet per minute: the format says so, the laps carry a step cadence, or the value can only be steps. */
function fullStepCadence(f: SportFeatures): number | undefined {
  const cadence = f.cadence;
  if (f.cadenceKind === "steps" && cadence !== undefined) {
    return cadence < t.fullStepCadence[0] ? cadence * 2 : cadence;
  }
  return between(cadence, t.fullStepCadence) && f.cadenceKind !== "pedal" ? cadence : f.lapStepsPerMin;
}

function stepsCandidate(f: SportFeatures, m: number, fullSteps: number): Candidate {
  const spm = `cadence ${Math.round(fullSteps)} spm`;
  if (between(m, t.walkSpeedMps)) {
    return { sport: "walk", confidence: 0.85, basis: withHeartRate(f, [speedPhrase("walk", m), spm]) };
  }
  if (between(m, t.runSpeedMps)) {
    return { sport: "run", confidence: 0.85, basis: withHeartRate(f, [speedPhrase("run", m), spm]) };
  }
  return {
    sport: "other",
    confidence: 0.3,
    basis: [`median speed ${kmh(m)}`, spm],
    doubt: `steps at ${kmh(m)} fit no sport on foot`,
  };
}

/**
 * Pedal rpm or the steps of one foot: the format, a power meter at riding speed, or the speed decides (running
 * power meters exist, so power at running speed decides nothing).
 */
function pedalOrFootCandidate(f: SportFeatures, m: number, cadence: number, runLike: boolean): Candidate {
  const pedal = f.cadenceKind === "pedal" || (f.power && m > t.ambiguousRideRunMps);
  if (pedal && between(m, t.rideSpeedMps)) {
    return {
      sport: "ride",
      confidence: 0.85,
      basis: [speedPhrase("ride", m), `cadence ${Math.round(cadence)} rpm`, ...(f.power ? ["power"] : [])],
    };
  }
  if (!pedal && between(m, t.runSpeedMps) && m <= t.ambiguousRideRunMps && runLike) {
    return {
      sport: "run",
      confidence: 0.75,
      basis: withHeartRate(f, [speedPhrase("run", m), `cadence ${Math.round(cadence * 2)} spm`]),
    };
  }
  if (!pedal && m > t.runSpeedMps[1]) {
    return {
      sport: "ride",
      confidence: 0.8,
      basis: [speedPhrase("ride", m), `cadence ${Math.round(cadence)} rpm`],
    };
  }
  if (!pedal && between(m, t.walkSpeedMps) && cadence <= 70) {
    return {
      sport: "walk",
      confidence: 0.7,
      basis: withHeartRate(f, [speedPhrase("walk", m), `cadence ${Math.round(cadence * 2)} spm`]),
    };
  }
  return {
    sport: pedal ? "ride" : "run",
    confidence: 0.5,
    basis: [`median speed ${kmh(m)}`, `cadence ${Math.round(cadence)}`],
    doubt: `a cadence of ${Math.round(cadence)} at ${kmh(m)} fits pedalling as well as running`,
  };
}

/** No usable cadence: speed, power, climbing and heart rate. */
function noCadenceCandidate(
  f: SportFeatures,
  m: number,
  p90: number,
  runLike: boolean,
): Candidate | undefined {
  if (f.power && between(m, t.rideSpeedMps)) {
    return { sport: "ride", confidence: 0.8, basis: [speedPhrase("ride", m), "power"] };
  }
  if (m > t.runSpeedMps[1]) {
    return {
      sport: "ride",
      confidence: heartRatePhrase(f) !== undefined ? 0.75 : 0.65,
      basis: withHeartRate(f, [speedPhrase("ride", m), "faster than running"]),
    };
  }
  if (m > t.ambiguousRideRunMps) {
    return {
      sport: "run",
      confidence: 0.45,
      basis: [`median speed ${kmh(m)}`],
      doubt: `${kmh(m)} without cadence or power is a fast run or a slow ride`,
    };
  }
  if (between(m, t.runSpeedMps)) {
    const fastFinish = !runLike;
    const hard = f.heartRateMean !== undefined && f.heartRateMean >= t.runHeartRate;
    return {
      sport: "run",
      confidence: fastFinish ? 0.4 : hard ? 0.75 : 0.65,
      basis: withHeartRate(f, [speedPhrase("run", m), ...(f.gps ? ["GPS"] : [])]),
      ...(fastFinish
        ? { doubt: `a tenth of the time at ${kmh(p90)} or more: a ride more likely than a run` }
        : {}),
    };
  }
  if (!between(m, t.walkSpeedMps)) return undefined;
  const hiking = f.climbPerKm !== undefined && f.climbPerKm >= t.hikeClimbPerKm;
  return {
    sport: "walk",
    confidence: hiking ? 0.65 : 0.5,
    basis: withHeartRate(f, [
      speedPhrase("walk", m),
      ...(f.climbPerKm !== undefined ? [`climbing ${Math.round(f.climbPerKm)} m/km`] : []),
    ]),
    ...(hiking
      ? {}
      : {
          doubt: `walking pace (${kmh(m)}) without step cadence or climbing could as well be paddling or a slow ride`,
        }),
  };
}

export function inferSport(activity: InferSportParameters): InferSportReturnType {
  const features = sportFeatures(activity);
  const candidates = candidatesOf(features);
  const best = candidates.reduce<Candidate | undefined>(
    (a, b) => (a === undefined || b.confidence > a.confidence ? b : a),
    undefined,
  );
  if (best === undefined) {
    const why = !features.moved
      ? "no movement, and no heart-rate, power or cadence trace that tells a sport"
      : features.movingSec < INFERENCE_THRESHOLDS.minMovingSec
        ? `${Math.round(features.movingSec)} s of movement is too little to tell`
        : "the data fits no sport the rules know";
    return {
      sport: "other",
      candidate: "other",
      confidence: 0,
      basis: [],
      message: `sport not inferred: ${why}`,
    };
  }
  const confidence = Math.round(best.confidence * 100) / 100;
  if (best.sport !== "other" && confidence >= INFERENCE_MIN_CONFIDENCE) {
    return {
      sport: best.sport,
      candidate: best.sport,
      confidence,
      basis: best.basis,
      message: `sport inferred: ${best.sport} — ${best.basis.join(", ")} (confidence ${confidence.toFixed(2)})`,
    };
  }
  const why = best.doubt ?? best.basis.join(", ");
  return {
    sport: "other",
    candidate: best.sport,
    confidence,
    basis: best.basis,
    message: `sport not inferred (confidence ${confidence.toFixed(2)}, needs ${INFERENCE_MIN_CONFIDENCE.toFixed(2)}): ${why}`,
  };
}

/**
 * Where an activity's sport comes from: `named` when the file named one (even one outside the product's sports,
 * such as stand-up paddling or an e-bike: "other" as named), else `inferred` (the inference reached its
 * threshold) or `unknown` (still "other"; the inference says why). Only `inferred` and `unknown` may be
 * declared by the owner.
 */
export type SettledSportOrigin = "named" | "inferred" | "unknown";

export interface SportSettlement {
  sport: Sport;
  origin: SettledSportOrigin;
  /** Present when the file left the sport open. */
  inference?: SportInference;
}

export type SettleSportParameters = InferSportParameters &
  Pick<ParsedActivity, "sport" | "deviceSport" | "source">;
export type SettleSportReturnType = SportSettlement;

export function settleSport(activity: SettleSportParameters): SettleSportReturnType {
  const source = activity.source === "provider" ? undefined : activity.source;
  if (activity.sport !== "other" || !leavesSportOpen(activity.deviceSport, source)) {
    return { sport: activity.sport, origin: "named" };
  }
  const inference = inferSport(activity);
  return inference.sport === "other"
    ? { sport: "other", origin: "unknown", inference }
    : { sport: inference.sport, origin: "inferred", inference };
}
