import { CrcCalculator, Encoder, Profile } from "@garmin/fitsdk";
import type { SamplePoint } from "../../src/workouts/sampleSummary.ts";

/**
 * Workout files built in code, so the tests never depend on ../shared: FIT files encoded with the Garmin SDK,
 * GPX and TCX written as strings. Tracks are generated along a meridian, so distances are exact:
 * 1e-5 degree of latitude ≈ 1.11195 m.
 */

export const METRES_PER_DEGREE_LAT = (Math.PI / 180) * 6_371_008.8;
const DEGREES_TO_SEMICIRCLES = 2 ** 31 / 180;

export interface TrackPoint {
  /** ms since the epoch; undefined = no timestamp. */
  time?: number;
  lat?: number;
  lon?: number;
  ele?: number;
  heartRate?: number;
  /** Cumulative distance, m. */
  distance?: number;
  speed?: number;
  power?: number;
  cadence?: number;
}

export interface TrackParameters {
  start: number;
  seconds: number;
  /** Sampling interval, s (default 1). */
  intervalSec?: number;
  speedMps: number;
  heartRate?: number | ((second: number) => number);
  lat0?: number;
  lon0?: number;
  withPosition?: boolean;
  withDistance?: boolean;
  ele?: (second: number) => number;
  /**
   * A receiver's wobble on the fixes (default true): a few decimetres along and across the track, deterministic
   * and zero at second 0, so the track is not the ruler-straight, constant-pace line a generator draws (which
   * the verifier rejects as `synthetic_track`). Device distance and speed fields stay exact.
   */
  gpsNoise?: boolean;
  /** Seconds (from the start) at which the track jumps `teleportM` metres north. */
  teleportAt?: number;
  teleportM?: number;
}

/** The wobble of `TrackParameters.gpsNoise` at `second`: metres along (north) and across (east) the track. */
export function receiverWobble(second: number): { alongM: number; acrossM: number } {
  return {
    alongM: 0.5 * Math.sin(0.9 * second) + 0.25 * Math.sin(0.37 * second),
    acrossM: 0.3 * Math.sin(0.8 * second) + 0.2 * Math.sin(0.29 * second),
  };
}

/** A straight track north at constant speed, one point every `intervalSec`, from second 0 to `seconds`. */
export function track(p: TrackParameters): TrackPoint[] {
  const interval = p.intervalSec ?? 1;
  const points: TrackPoint[] = [];
  const lat0 = p.lat0 ?? 47;
  const lon0 = p.lon0 ?? 8;
  for (let second = 0; second <= p.seconds; second += interval) {
    let metres = p.speedMps * second;
    if (p.teleportAt !== undefined && second >= p.teleportAt) metres += p.teleportM ?? 0;
    const point: TrackPoint = { time: p.start + second * 1000 };
    if (p.withPosition !== false) {
      const wobble = p.gpsNoise === false ? { alongM: 0, acrossM: 0 } : receiverWobble(second);
      point.lat = lat0 + (metres + wobble.alongM) / METRES_PER_DEGREE_LAT;
      point.lon = lon0 + wobble.acrossM / (METRES_PER_DEGREE_LAT * Math.cos((lat0 * Math.PI) / 180));
    }
    if (p.withDistance) {
      point.distance = p.speedMps * second;
      point.speed = p.speedMps;
    }
    if (p.ele !== undefined) point.ele = p.ele(second);
    if (p.heartRate !== undefined) {
      // A fixed heart rate still moves by a beat or two, as a sensor's does (a flat one is `synthetic_track`).
      point.heartRate =
        typeof p.heartRate === "function"
          ? p.heartRate(second)
          : p.heartRate + (p.gpsNoise === false ? 0 : Math.round(2.4 * Math.sin(second / 37)));
    }
    points.push(point);
  }
  return points;
}

/** The same points as the parsers would hand them to the sample summary. */
export function samplePoints(points: TrackPoint[]): SamplePoint[] {
  return points.map((p) => ({
    time: p.time,
    lat: p.lat,
    lon: p.lon,
    altitudeM: p.ele,
    distanceM: p.distance,
    speedMps: p.speed,
    heartRate: p.heartRate,
    powerW: p.power,
    cadence: p.cadence,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// FIT

export interface FitSession {
  sport: string;
  subSport?: string;
  start: number;
  /** Timer time, s (pauses excluded). */
  timerSec: number;
  /** Elapsed time, s. */
  elapsedSec: number;
  distanceM?: number;
  avgHeartRate?: number;
  maxHeartRate?: number;
  /** The session message's timestamp (default start + elapsed). */
  endTime?: number;
}

export interface FitFileParameters {
  fileType?: string;
  timeCreated: number;
  records: TrackPoint[];
  sessions: FitSession[];
  /** Timer events: [time ms, "start" | "stopAll"]. */
  timerEvents?: [number, "start" | "stopAll"][];
}

/** A global message number from the SDK's profile (typed as a plain record there). */
function mesgNum(name: string): number {
  const num = Profile.MesgNum[name];
  if (num === undefined) throw new Error(`unknown FIT message ${name}`);
  return num;
}

function write(encoder: Encoder, name: string, fields: Record<string, unknown>): void {
  encoder.onMesg(mesgNum(name), fields);
}

function date(ms: number): Date {
  return new Date(ms);
}

/** Encodes a FIT activity file: file_id, timer events, records (in time order), laps, sessions, activity. */
export function encodeFit(p: FitFileParameters): Uint8Array {
  const encoder = new Encoder();
  write(encoder, "FILE_ID", {
    type: p.fileType ?? "activity",
    manufacturer: "development",
    product: 1,
    serialNumber: 12345,
    timeCreated: date(p.timeCreated),
  });
  const events = [...(p.timerEvents ?? [])];
  const records = [...p.records];
  // Interleave events and records by time, events first on ties (start precedes the first record).
  while (events.length > 0 || records.length > 0) {
    const event = events[0];
    const record = records[0];
    if (
      event !== undefined &&
      (record === undefined || event[0] <= (record.time ?? Number.POSITIVE_INFINITY))
    ) {
      events.shift();
      write(encoder, "EVENT", {
        timestamp: date(event[0]),
        event: "timer",
        eventType: event[1],
        eventGroup: 0,
        timerTrigger: "manual",
      });
    } else if (record !== undefined) {
      records.shift();
      const mesg: Record<string, unknown> = {};
      if (record.time !== undefined) mesg.timestamp = date(record.time);
      if (record.lat !== undefined && record.lon !== undefined) {
        mesg.positionLat = Math.round(record.lat * DEGREES_TO_SEMICIRCLES);
        mesg.positionLong = Math.round(record.lon * DEGREES_TO_SEMICIRCLES);
      }
      if (record.distance !== undefined) mesg.distance = record.distance;
      if (record.speed !== undefined) mesg.speed = record.speed;
      if (record.ele !== undefined) mesg.altitude = record.ele;
      if (record.heartRate !== undefined) mesg.heartRate = record.heartRate;
      if (record.power !== undefined) mesg.power = record.power;
      if (record.cadence !== undefined) mesg.cadence = record.cadence;
      write(encoder, "RECORD", mesg);
    }
  }
  p.sessions.forEach((s, index) => {
    const end = date(s.endTime ?? s.start + s.elapsedSec * 1000);
    const common = {
      timestamp: end,
      startTime: date(s.start),
      totalElapsedTime: s.elapsedSec,
      totalTimerTime: s.timerSec,
      sport: s.sport,
      subSport: s.subSport ?? "generic",
      ...(s.distanceM !== undefined ? { totalDistance: s.distanceM } : {}),
      ...(s.avgHeartRate !== undefined ? { avgHeartRate: s.avgHeartRate } : {}),
      ...(s.maxHeartRate !== undefined ? { maxHeartRate: s.maxHeartRate } : {}),
    };
    write(encoder, "LAP", { ...common, messageIndex: index, event: "lap", eventType: "stop" });
    write(encoder, "SESSION", {
      ...common,
      messageIndex: index,
      firstLapIndex: index,
      numLaps: 1,
      event: "session",
      eventType: "stop",
    });
  });
  const last = p.sessions[p.sessions.length - 1];
  if (last !== undefined) {
    write(encoder, "ACTIVITY", {
      timestamp: date(last.start + last.elapsedSec * 1000),
      totalTimerTime: p.sessions.reduce((sum, s) => sum + s.timerSec, 0),
      numSessions: p.sessions.length,
      type: "manual",
      event: "activity",
      eventType: "stop",
    });
  }
  return encoder.close();
}

export const T0 = Date.parse("2026-03-02T07:00:00Z");

/** A 1-hour run, a record every second (3,601 records), 3 m/s north, heart rate 150 with a 140-160 swing. */
export function oneHourRunFit(start = T0): Uint8Array {
  const records = track({
    start,
    seconds: 3600,
    speedMps: 3,
    withDistance: true,
    heartRate: (s) => 150 + Math.round(10 * Math.sin(s / 60)),
    ele: (s) => 400 + 5 * Math.sin(s / 300),
  });
  return encodeFit({
    timeCreated: start,
    records,
    timerEvents: [
      [start, "start"],
      [start + 3600_000, "stopAll"],
    ],
    sessions: [
      {
        sport: "running",
        start,
        timerSec: 3600,
        elapsedSec: 3600,
        distanceM: 10_800,
        avgHeartRate: 150,
        maxHeartRate: 160,
      },
    ],
  });
}

/**
 * A ride of 40 min riding, a 20-min pause (timer stopped, no records), then 30 min riding: timer 4,200 s,
 * elapsed 5,400 s, 8 m/s.
 */
export function pausedRideFit(start = T0): Uint8Array {
  const first = track({ start, seconds: 2400, speedMps: 8, withDistance: true, heartRate: 140 });
  const resume = start + 3600_000;
  const second = track({ start: resume, seconds: 1800, speedMps: 8, withDistance: true, heartRate: 145 }).map(
    (point) => ({
      ...point,
      lat: (point.lat ?? 0) + (8 * 2400) / METRES_PER_DEGREE_LAT,
      distance: (point.distance ?? 0) + 8 * 2400,
    }),
  );
  return encodeFit({
    timeCreated: start,
    records: [...first, ...second],
    timerEvents: [
      [start, "start"],
      [start + 2400_000, "stopAll"],
      [resume, "start"],
      [resume + 1800_000, "stopAll"],
    ],
    sessions: [
      {
        sport: "cycling",
        subSport: "road",
        start,
        timerSec: 4200,
        elapsedSec: 5400,
        distanceM: 8 * 4200,
        avgHeartRate: 142,
        maxHeartRate: 150,
      },
    ],
  });
}

/** 45 min of strength training: heart rate only, a record every 2 s, no GPS, no distance. */
export function strengthFit(start = T0): Uint8Array {
  const records = track({
    start,
    seconds: 2700,
    intervalSec: 2,
    speedMps: 0,
    withPosition: false,
    heartRate: (s) => 110 + ((s / 2) % 30),
  });
  return encodeFit({
    timeCreated: start,
    records,
    timerEvents: [
      [start, "start"],
      [start + 2700_000, "stopAll"],
    ],
    sessions: [
      {
        sport: "training",
        subSport: "strengthTraining",
        start,
        timerSec: 2700,
        elapsedSec: 2700,
        avgHeartRate: 125,
        maxHeartRate: 139,
      },
    ],
  });
}

/** A multisport file: a 20-min run, a 5-min transition, a 30-min ride (one FIT, three sessions). */
export function multiSessionFit(start = T0): Uint8Array {
  const run = track({ start, seconds: 1200, speedMps: 3, withDistance: true, heartRate: 150 });
  const transitionStart = start + 1201_000;
  const transition = track({
    start: transitionStart,
    seconds: 298,
    speedMps: 0,
    withPosition: false,
    heartRate: 130,
  });
  const rideStart = start + 1500_000;
  const ride = track({
    start: rideStart,
    seconds: 1800,
    speedMps: 9,
    withDistance: true,
    heartRate: 145,
    lat0: 47.05,
  });
  return encodeFit({
    timeCreated: start,
    records: [...run, ...transition, ...ride],
    timerEvents: [
      [start, "start"],
      [rideStart + 1800_000, "stopAll"],
    ],
    sessions: [
      { sport: "running", start, timerSec: 1200, elapsedSec: 1200, distanceM: 3600 },
      { sport: "transition", start: transitionStart, timerSec: 299, elapsedSec: 299 },
      { sport: "cycling", start: rideStart, timerSec: 1800, elapsedSec: 1800, distanceM: 16_200 },
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// GPX and TCX

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface GpxParameters {
  type?: string;
  metadataTime?: number;
  /** One array per <trkseg>. */
  segments: TrackPoint[][];
  /** Extra text inserted before <gpx> (e.g. a DOCTYPE). */
  prolog?: string;
}

export function gpxPoint(point: TrackPoint): string {
  const children: string[] = [];
  if (point.ele !== undefined) children.push(`<ele>${point.ele.toFixed(1)}</ele>`);
  if (point.time !== undefined) children.push(`<time>${iso(point.time)}</time>`);
  if (point.heartRate !== undefined) {
    children.push(
      `<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>${point.heartRate}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>`,
    );
  }
  return `<trkpt lat="${(point.lat ?? 0).toFixed(7)}" lon="${(point.lon ?? 0).toFixed(7)}">${children.join("")}</trkpt>`;
}

export function gpx(p: GpxParameters): string {
  const metadata =
    p.metadataTime !== undefined ? `<metadata><time>${iso(p.metadataTime)}</time></metadata>` : "";
  const type = p.type !== undefined ? `<type>${p.type}</type>` : "";
  const segments = p.segments
    .map((segment) => `<trkseg>${segment.map(gpxPoint).join("\n")}</trkseg>`)
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>
${p.prolog ?? ""}<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
${metadata}<trk><name>Test</name>${type}${segments}</trk>
</gpx>
`;
}

export interface TcxLap {
  start: number;
  totalTimeSec: number;
  distanceM?: number;
  avgHeartRate?: number;
  maxHeartRate?: number;
  points: TrackPoint[];
  /** Format for timestamps: "Z" (default) or an offset such as "+01:00". */
  offset?: string;
}

export interface TcxActivity {
  sport: string;
  laps: TcxLap[];
}

function tcxTime(ms: number, offset = "Z"): string {
  if (offset === "Z") return iso(ms);
  const sign = offset.startsWith("-") ? -1 : 1;
  const [hours, minutes] = offset.slice(1).split(":").map(Number);
  const shifted = new Date(ms + sign * ((hours ?? 0) * 60 + (minutes ?? 0)) * 60_000).toISOString();
  return shifted.replace("Z", offset);
}

export function tcx(activities: TcxActivity[], options: { leading?: string } = {}): string {
  const body = activities
    .map((activity) => {
      const laps = activity.laps
        .map((lap) => {
          const points = lap.points
            .map((point) => {
              const parts: string[] = [];
              if (point.time !== undefined) parts.push(`<Time>${tcxTime(point.time, lap.offset)}</Time>`);
              if (point.lat !== undefined && point.lon !== undefined) {
                parts.push(
                  `<Position><LatitudeDegrees>${point.lat}</LatitudeDegrees><LongitudeDegrees>${point.lon}</LongitudeDegrees></Position>`,
                );
              }
              if (point.ele !== undefined) parts.push(`<AltitudeMeters>${point.ele}</AltitudeMeters>`);
              if (point.distance !== undefined)
                parts.push(`<DistanceMeters>${point.distance}</DistanceMeters>`);
              if (point.heartRate !== undefined) {
                parts.push(`<HeartRateBpm><Value>${point.heartRate}</Value></HeartRateBpm>`);
              }
              return `<Trackpoint>${parts.join("")}</Trackpoint>`;
            })
            .join("\n");
          const hr =
            lap.avgHeartRate !== undefined
              ? `<AverageHeartRateBpm><Value>${lap.avgHeartRate}</Value></AverageHeartRateBpm>`
              : "";
          const maxHr =
            lap.maxHeartRate !== undefined
              ? `<MaximumHeartRateBpm><Value>${lap.maxHeartRate}</Value></MaximumHeartRateBpm>`
              : "";
          const distance =
            lap.distanceM !== undefined ? `<DistanceMeters>${lap.distanceM}</DistanceMeters>` : "";
          return `<Lap StartTime="${tcxTime(lap.start, lap.offset)}"><TotalTimeSeconds>${lap.totalTimeSec}</TotalTimeSeconds>${distance}${hr}${maxHr}<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>\n${points}\n</Track></Lap>`;
        })
        .join("\n");
      const first = activity.laps[0];
      const id = first !== undefined ? tcxTime(first.start, first.offset) : "";
      return `<Activity Sport="${activity.sport}"><Id>${id}</Id>${laps}</Activity>`;
    })
    .join("\n");
  return `${options.leading ?? ""}<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
<Activities>
${body}
</Activities>
</TrainingCenterDatabase>
`;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A deterministic pseudo-random generator (mulberry32) for fuzz-style tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A well-formed FIT file of `count` data messages of global number `globalNum` (default 21, event) with
 * `fields` one-byte fields each (default none): the "empty messages" bomb of the security review, where each
 * one-byte message still becomes an object in the SDK.
 */
export function repeatedMessagesFit(count: number, globalNum = 21, fields = 0): Uint8Array {
  const definition = [0x40, 0, 0, globalNum & 0xff, globalNum >> 8, fields];
  // Field numbers 0..fields-1, size 1, base type uint8 (0x02).
  for (let f = 0; f < fields; f += 1) definition.push(f, 1, 0x02);
  const dataSize = definition.length + count * (1 + fields);
  const out = new Uint8Array(14 + dataSize + 2);
  out.set([14, 0x20, 0x08, 0x08], 0);
  new DataView(out.buffer).setUint32(4, dataSize, true);
  out.set([0x2e, 0x46, 0x49, 0x54], 8); // ".FIT"
  new DataView(out.buffer).setUint16(12, CrcCalculator.calculateCRC(out, 0, 12), true);
  out.set(definition, 14);
  // Data messages: header byte 0x00 (local message 0) and zero-valued fields; the buffer is already zero-filled.
  new DataView(out.buffer).setUint16(14 + dataSize, CrcCalculator.calculateCRC(out, 0, 14 + dataSize), true);
  return out;
}
