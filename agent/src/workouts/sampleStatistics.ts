/**
 * The running statistics a sample summary (sampleSummary.ts) is built from, each bounded in memory whatever the
 * number of samples: a range, time-weighted bins, the sampling-interval histogram, an evenly decimated list,
 * the fastest jumps, the climb counter, the distance steps, and the peak sustained-power window.
 */

/** Smallest and largest of the values added (empty while none was). */
export class ValueRange {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(value: number): void {
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
  }

  get empty(): boolean {
    return this.max < this.min;
  }
}

/** Adds `seconds` to the bin of `value` (bins `width` wide from 0; the last one is open-ended). */
export function addToBin(bins: number[], value: number, width: number, seconds: number): void {
  const bin = Math.min(bins.length - 1, Math.floor(value / width));
  bins[bin] = (bins[bin] ?? 0) + seconds;
}

/** Log-scale bins for the sampling-interval histogram: 4 per doubling, from 1 ms up. */
const INTERVAL_BINS_PER_OCTAVE = 4;
const INTERVAL_BIN_MIN_SEC = 0.001;
const INTERVAL_BINS = 120;

/** Intervals between consecutive timed samples, on a log scale: the median interval and the moving time. */
export class IntervalHistogram {
  #counts = new Array<number>(INTERVAL_BINS).fill(0);
  #sums = new Array<number>(INTERVAL_BINS).fill(0);

  add(dtSec: number): void {
    const bin = Math.min(
      INTERVAL_BINS - 1,
      Math.max(0, Math.floor(Math.log2(dtSec / INTERVAL_BIN_MIN_SEC) * INTERVAL_BINS_PER_OCTAVE)),
    );
    this.#counts[bin] = (this.#counts[bin] ?? 0) + 1;
    this.#sums[bin] = (this.#sums[bin] ?? 0) + dtSec;
  }

  median(): number | undefined {
    const total = this.#counts.reduce((sum, count) => sum + count, 0);
    if (total === 0) return undefined;
    let seen = 0;
    for (let bin = 0; bin < INTERVAL_BINS; bin += 1) {
      const count = this.#counts[bin] ?? 0;
      seen += count;
      if (seen * 2 >= total) return (this.#sums[bin] ?? 0) / count;
    }
    return undefined;
  }

  /** Time covered by intervals of at most `capSec`. */
  coveredSec(capSec: number): number {
    let covered = 0;
    for (let bin = 0; bin < INTERVAL_BINS; bin += 1) {
      const count = this.#counts[bin] ?? 0;
      if (count === 0) continue;
      const lower = INTERVAL_BIN_MIN_SEC * 2 ** (bin / INTERVAL_BINS_PER_OCTAVE);
      // Bins entirely above the cap are pauses; the one straddling it contributes at most count x cap.
      if (lower > capSec) continue;
      covered += Math.min(this.#sums[bin] ?? 0, count * capSec);
    }
    return covered;
  }
}

/**
 * At most `max` items evenly spread over everything offered: when full, every other item is dropped and only
 * every other offer is taken from then on.
 */
export class EvenSample<T extends object> {
  readonly #max: number;
  #items: T[] = [];
  #stride = 1;
  #offered = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Counts an offer; true when this one is kept (then `push` it). */
  takesNext(): boolean {
    this.#offered += 1;
    return (this.#offered - 1) % this.#stride === 0;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#items.length >= this.#max) {
      this.#items = this.#items.filter((_, index) => index % 2 === 0);
      this.#stride *= 2;
    }
  }

  get length(): number {
    return this.#items.length;
  }

  /**
   * The kept items, in the order offered, as a new array. The items themselves are not copied: nothing here
   * changes an item once pushed, and the callers push objects they made for it alone (copying the 8,192 fixes
   * of a long track made as many objects again for nothing).
   */
  copy(): T[] {
    return this.#items.slice();
  }
}

/** The `max` fastest jumps between fixes (distance over time), fastest first. */
export class FastestJumps<T extends { distanceM: number; dtSec: number }> {
  readonly #max: number;
  #jumps: T[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  add(jump: T): void {
    const speedOf = (j: T) => j.distanceM / Math.max(j.dtSec, 0.001);
    const speed = speedOf(jump);
    const last = this.#jumps[this.#jumps.length - 1];
    if (this.#jumps.length >= this.#max && last !== undefined && speedOf(last) >= speed) return;
    let index = this.#jumps.findIndex((j) => speedOf(j) < speed);
    if (index === -1) index = this.#jumps.length;
    this.#jumps.splice(index, 0, jump);
    if (this.#jumps.length > this.#max) this.#jumps.pop();
  }

  copy(): T[] {
    return this.#jumps.map((jump) => ({ ...jump }));
  }
}

/** Ascent with hysteresis: a rise counts once it exceeds `hysteresisM` above the last low point. */
export class ClimbCounter {
  readonly #hysteresisM: number;
  #climbM = 0;
  /** Altitude of the last turning point. */
  #reference: number | undefined;

  constructor(hysteresisM: number) {
    this.#hysteresisM = hysteresisM;
  }

  add(altitudeM: number): void {
    if (this.#reference === undefined) {
      this.#reference = altitudeM;
      return;
    }
    const rise = altitudeM - this.#reference;
    if (rise >= this.#hysteresisM) {
      this.#climbM += rise;
      this.#reference = altitudeM;
    } else if (rise <= -this.#hysteresisM) {
      this.#reference = altitudeM;
    }
  }

  get climbM(): number {
    return this.#climbM;
  }
}

/** Increases of a cumulative distance: how many, and the most common size (rounded) with its count. */
export class DistanceSteps {
  readonly #roundingM: number;
  readonly #maxSizes: number;
  #count = 0;
  #sizes = new Map<number, number>();

  /** Sizes are rounded to `roundingM`; past `maxSizes` distinct sizes, new ones only count toward the total. */
  constructor(roundingM: number, maxSizes: number) {
    this.#roundingM = roundingM;
    this.#maxSizes = maxSizes;
  }

  add(stepM: number): void {
    this.#count += 1;
    const size = Math.round(stepM / this.#roundingM) * this.#roundingM;
    const seen = this.#sizes.get(size);
    if (seen !== undefined) this.#sizes.set(size, seen + 1);
    else if (this.#sizes.size < this.#maxSizes) this.#sizes.set(size, 1);
  }

  summary(): { count: number; modeM: number; modeCount: number } {
    let modeM = 0;
    let modeCount = 0;
    for (const [size, count] of this.#sizes) {
      if (count > modeCount) {
        modeM = size;
        modeCount = count;
      }
    }
    return { count: this.#count, modeM, modeCount };
  }
}

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

/** Highest `windowSec`-average of the power a rider would need to produce the motion, over unbroken stretches. */
export class PeakPowerWindow {
  readonly #windowSec: number;
  /** Cumulative (seconds, joules) marks since the last reset, and the previous pair's speed. */
  /** Marks (elapsed seconds, cumulative joules) as two parallel arrays: no object per pair. */
  #markT: number[] = [];
  #markE: number[] = [];
  #head = 0;
  #seconds = 0;
  #joules = 0;
  #previousSpeed: number | undefined;
  #peakW: number | undefined;

  constructor(windowSec: number) {
    this.#windowSec = windowSec;
  }

  get peakW(): number | undefined {
    return this.#peakW;
  }

  /**
   * Power a rider would need for this pair: rolling resistance and air drag over the pair, plus the change in
   * potential and kinetic energy (these two telescope over a window, so GPS noise in altitude or speed cancels
   * out instead of adding up).
   */
  add(speed: number, dtSec: number, altitudeFrom: number | undefined, altitudeTo: number | undefined): void {
    const m = POWER_MODEL;
    let joules =
      (m.massKg * m.gravity * m.rollingResistance * speed + 0.5 * m.airDensity * m.dragAreaM2 * speed ** 3) *
      dtSec;
    if (altitudeFrom !== undefined && altitudeTo !== undefined) {
      const climb = altitudeTo - altitudeFrom;
      if (Math.abs(climb) <= m.maxAltitudeStepM) joules += m.massKg * m.gravity * climb;
    }
    if (this.#previousSpeed !== undefined) {
      joules += 0.5 * m.massKg * (speed ** 2 - this.#previousSpeed ** 2);
    }
    this.#previousSpeed = speed;
    if (this.#markT.length === 0) {
      this.#markT.push(0);
      this.#markE.push(0);
    }
    this.#seconds += dtSec;
    this.#joules += joules;
    const now = this.#seconds;
    // Keep the latest mark that is still at least one window old at the head.
    const markT = this.#markT;
    while (this.#head + 1 < markT.length) {
      const nextT = markT[this.#head + 1];
      if (nextT === undefined || now - nextT < this.#windowSec) break;
      this.#head += 1;
    }
    const headT = markT[this.#head];
    const headE = this.#markE[this.#head];
    if (headT !== undefined && headE !== undefined && now - headT >= this.#windowSec) {
      const average = (this.#joules - headE) / (now - headT);
      this.#peakW = Math.max(this.#peakW ?? Number.NEGATIVE_INFINITY, average);
    }
    markT.push(now);
    this.#markE.push(this.#joules);
    // Compact the queue now and then so it stays bounded by the samples of one window.
    if (this.#head > 1024) {
      this.#markT = markT.slice(this.#head);
      this.#markE = this.#markE.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The stretch broke (a pause, a backward step, a new segment): the next pair starts a new window. */
  reset(): void {
    this.#markT = [];
    this.#markE = [];
    this.#head = 0;
    this.#seconds = 0;
    this.#joules = 0;
    this.#previousSpeed = undefined;
  }
}
