import type { Sport } from "./sport.ts";

/**
 * Plausibility thresholds per sport, in one table. Every number sits above what the best athletes in the world
 * manage, so a genuine workout never trips them, while a car, a train or a fabricated file does. Speeds are
 * measured between consecutive samples (device distance, else GPS) and weighed by time; "median" is the median
 * of the moving time (>= 0.25 m/s), which one sprint or a few bad GPS fixes cannot move.
 */
export interface SportLimits {
  /** Highest plausible median moving speed over the whole workout, m/s. */
  maxMedianSpeedMps: number;
  /** Speeds at or above this count as a burst, m/s. */
  burstSpeedMps: number;
  /** Seconds of bursts tolerated in total (GPS spikes, a sprint finish), s. */
  burstAllowanceSec: number;
  /**
   * Highest plausible 30-second average of the power the recorded motion needs (cycling model of
   * sampleSummary.ts: drag, rolling resistance, climbing, acceleration), W. Only for wheeled / unknown sports,
   * where speed alone cannot tell a fast descent from a car: a car doing 90 km/h uphill needs ~2.5 kW.
   */
  maxPeakPowerW?: number;
}

/** On foot: runs, walks, and the walking between strength stations. */
const ON_FOOT_BURST = {
  // 39.6 km/h: above Usain Bolt's 100 m average (10.4 m/s), just under his top speed (12.4 m/s).
  burstSpeedMps: 11,
  // A minute in total absorbs GPS spikes over a long run; a car reaches 40 km/h within seconds and stays there.
  burstAllowanceSec: 60,
} as const;

/** The ride row, also used for "other" (the fastest human-powered sport we know of is the safe default). */
const RIDE_LIMITS: SportLimits = {
  // 60 km/h: the UCI hour record averages 56.8 km/h (15.8 m/s) on a track bike.
  maxMedianSpeedMps: 16.7,
  // 120 km/h: beyond race descents (~100-110 km/h); only motor vehicles hold it.
  burstSpeedMps: 33,
  burstAllowanceSec: 30,
  // Elite track sprinters average ~1,300-1,500 W over 30 s; the model's light, aerodynamic rider
  // under-estimates real power, so 1,500 W is out of reach for anyone on a bicycle.
  maxPeakPowerW: 1500,
};

export const SPORT_LIMITS: Readonly<Record<Sport, SportLimits>> = {
  run: {
    // 25.2 km/h: faster than the 5,000 m world record pace (6.6 m/s), let alone a whole workout.
    maxMedianSpeedMps: 7,
    ...ON_FOOT_BURST,
  },
  walk: {
    // 16.2 km/h: the 20 km race-walk world record averages 4.3 m/s.
    maxMedianSpeedMps: 4.5,
    ...ON_FOOT_BURST,
  },
  strength: {
    // Strength sessions barely move; when a GPS track exists it must at least be on foot.
    maxMedianSpeedMps: 4.5,
    ...ON_FOOT_BURST,
  },
  ride: RIDE_LIMITS,
  swim: {
    // 9 km/h: the 50 m freestyle record averages 2.4 m/s; distance swims are under 1.8 m/s.
    maxMedianSpeedMps: 2.5,
    // 18 km/h: no swimmer comes close; wrist GPS drops under water, hence a generous two minutes.
    burstSpeedMps: 5,
    burstAllowanceSec: 120,
  },
  row: {
    // 25.2 km/h: Olympic eights average ~6.2 m/s over 2,000 m.
    maxMedianSpeedMps: 7,
    // 36 km/h: above any racing shell's top speed.
    burstSpeedMps: 10,
    burstAllowanceSec: 60,
  },
  other: RIDE_LIMITS,
};

/** Limits that do not depend on the sport. */
export const GENERAL_LIMITS = {
  /** A jump between consecutive fixes is a teleport when it is at least this long... (m) */
  teleportMinDistanceM: 1000,
  /** ...and implies at least this speed: 300 km/h, beyond any ground sport (speed skiing tops at ~250). */
  teleportMinSpeedMps: 83,
  /** Physiological heart-rate range, bpm: resting rates of elite endurance athletes go down to ~30. */
  minHeartRateBpm: 25,
  /** Above any recorded human maximum under exercise (~220 for the young). */
  maxHeartRateBpm: 230,
  /** Heart rate outside the range is implausible once it lasts this long in total... (s) */
  heartRateOutsideMinSec: 60,
  /** ...and makes up at least this share of the time with a heart-rate reading. */
  heartRateOutsideMinShare: 0.1,
  /** Bursts and medians are only judged with at least this much moving time, s. */
  minMovingSecForSpeed: 60,
  /** Movement: the fixes span at least this diagonal, or the device distance grows by this much, m. */
  minMovementM: 50,
  /** A heart-rate, power or cadence trace needs at least this many readings to count as effort. */
  minSignalPoints: 10,
} as const;
