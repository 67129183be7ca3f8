import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { AgentError, TooLargeError, ValidationError } from "../../src/errors.ts";
import {
  DEFAULT_WORKOUT_FILE_LIMITS,
  type ParsedWorkout,
  parseWorkoutFile,
} from "../../src/workouts/parseWorkoutFile.ts";
import { parseGpx } from "../../src/workouts/parseGpx.ts";
import { MAX_JUMPS, MAX_PREVIEW_POINTS, MAX_TRACK_POINTS } from "../../src/workouts/sampleSummary.ts";
import { verifyWorkout } from "../../src/workouts/verifyWorkout.ts";
import { gpx, T0, type TrackPoint, track, utf8 } from "./fixtures.ts";

const clock = new ManualClock(T0 + 7 * 86_400_000);

function parse(text: string, limits = DEFAULT_WORKOUT_FILE_LIMITS): ParsedWorkout[] {
  return parseWorkoutFile(utf8(text), limits);
}

function only(text: string): ParsedWorkout {
  const activities = parse(text);
  expect(activities).to.have.length(1);
  return activities[0] as ParsedWorkout;
}

function codes(activity: ParsedWorkout, at = clock): string[] {
  return verifyWorkout(activity, { clock: at, acceptedExisting: [] }).reasons.map((r) => r.code);
}

function thrown(fn: () => unknown): AgentError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(AgentError);
    return error as AgentError;
  }
  return expect.fail("did not throw");
}

/** 10 minutes of a car: 2 min at 50 km/h, 3 min at 90 km/h, 2 min stopped, 3 min at 50 km/h, one fix per second. */
function carDrive(start: number): TrackPoint[] {
  const points: TrackPoint[] = [];
  let metres = 0;
  for (let second = 0; second <= 600; second += 1) {
    points.push({ time: start + second * 1000, lat: 45 + metres / 111_195, lon: 13.6, ele: 200 });
    const speed = second < 120 ? 14 : second < 300 ? 25 : second < 420 ? 0 : 14;
    metres += speed;
  }
  return points;
}

describe("parseGpx", () => {
  it("parses a normal 30-minute run with heart rate", () => {
    const run = only(
      gpx({
        type: "Running",
        metadataTime: T0 - 3600_000,
        segments: [track({ start: T0, seconds: 1800, speedMps: 3, heartRate: 150, ele: () => 420 })],
      }),
    );
    expect(run.source).to.equal("gpx");
    expect(run.sport).to.equal("run");
    expect(run.deviceSport).to.equal("Running");
    // The metadata time is when the file was written, not the start.
    expect(run.startTime).to.equal(T0);
    expect(run.durationSec).to.equal(1800);
    expect(run.elapsedSec).to.equal(1800);
    // 5,400 m, plus the ~8 m the fixture's receiver wobble adds to the path (fixtures.ts, `gpsNoise`).
    expect(run.distanceM).to.be.closeTo(5408, 2);
    // 150 bpm, moving by a beat or two as a sensor's does.
    expect(run.avgHeartRate).to.be.closeTo(150, 0.5);
    expect(run.maxHeartRate).to.equal(152);
    expect(codes(run)).to.deep.equal([]);
  });

  it("rejects a car drive as a run, a ride or an unspecified activity (implausible_speed)", () => {
    for (const type of ["Running", "Cycling", undefined]) {
      const activity = only(gpx({ ...(type !== undefined ? { type } : {}), segments: [carDrive(T0)] }));
      // Drawn at a few constant speeds without receiver noise: also generated, not recorded.
      expect(codes(activity), String(type)).to.deep.equal(["implausible_speed", "synthetic_track"]);
    }
    const asRide = only(gpx({ type: "Cycling", segments: [carDrive(T0)] }));
    const message = verifyWorkout(asRide, { clock, acceptedExisting: [] }).reasons[0]?.message;
    expect(message).to.match(/would need \d+ W for 30 s/);
  });

  it("rejects a teleporting track (a 5 km jump in one second) as gps_teleport", () => {
    const points = track({
      start: T0,
      seconds: 1800,
      speedMps: 3,
      heartRate: 150,
      teleportAt: 600,
      teleportM: 5000,
    });
    const run = only(gpx({ type: "Running", segments: [points] }));
    const verdict = verifyWorkout(run, { clock, acceptedExisting: [] });
    expect(verdict.reasons.map((r) => r.code)).to.deep.equal(["gps_teleport"]);
    expect(verdict.reasons[0]?.message).to.match(/jumps 5003 m in 1 s/);
  });

  it("rejects a file dated 1901 as invalid_timestamps", () => {
    const start = Date.UTC(1901, 11, 13, 20, 45, 52);
    const old = only(gpx({ segments: [track({ start, seconds: 600, speedMps: 1.5 })] }));
    expect(old.startTime).to.equal(start);
    expect(codes(old)).to.deep.equal(["invalid_timestamps"]);
  });

  it("rejects points that all share one timestamp as invalid_timestamps", () => {
    const points = track({ start: T0, seconds: 180, speedMps: 10 }).map((p) => ({ ...p, time: T0 }));
    expect(codes(only(gpx({ segments: [points] })))).to.deep.equal(["invalid_timestamps"]);
  });

  it("rejects a run that ends in the future as future_timestamp", () => {
    const now = new ManualClock(T0);
    const future = only(
      gpx({ type: "Running", segments: [track({ start: T0 + 86_400_000, seconds: 1800, speedMps: 3 })] }),
    );
    expect(codes(future, now)).to.deep.equal(["future_timestamp"]);
    // Within the 5-minute skew it is fine.
    const almost = only(
      gpx({ type: "Running", segments: [track({ start: T0 - 1800_000, seconds: 1900, speedMps: 3 })] }),
    );
    expect(codes(almost, now)).to.deep.equal([]);
  });

  it("refuses a DOCTYPE (billion laughs) or external entity before parsing, as corrupt_file", () => {
    const bomb = gpx({
      prolog: `<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`,
      segments: [track({ start: T0, seconds: 10, speedMps: 3 })],
    }).replace("<name>Test</name>", "<name>&c;</name>");
    const error = thrown(() => parse(bomb));
    expect(error).to.be.instanceOf(ValidationError);
    expect(error.code).to.equal("corrupt_file");
    expect(error.details).to.deep.equal({ reason: "doctype" });
    const xxe = `<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx><trk><name>&x;</name></trk></gpx>`;
    expect(thrown(() => parse(xxe)).code).to.equal("corrupt_file");
  });

  it("throws not_a_workout for a GPX without any track point (metadata only)", () => {
    const metadataOnly = `<?xml version="1.0"?><gpx version="1.1" creator="StravaGPX"><metadata><time>2023-07-07T16:10:57Z</time></metadata></gpx>`;
    const error = thrown(() => parse(metadataOnly));
    expect(error).to.be.instanceOf(ValidationError);
    expect(error.code).to.equal("not_a_workout");
  });

  it("throws no_timestamps for a route without any time, and flags one that only has a file time", () => {
    const route = track({ start: T0, seconds: 100, speedMps: 3 }).map(({ time: _, ...p }) => p);
    expect(thrown(() => parse(gpx({ segments: [route] }))).code).to.equal("no_timestamps");
    const placed = only(gpx({ metadataTime: T0, segments: [route] }));
    expect(placed.startTime).to.equal(T0);
    expect(placed.problems.map((p) => p.code)).to.deep.equal(["no_timestamps"]);
    expect(codes(placed)).to.deep.equal(["no_timestamps"]);
  });

  it("does not count the gap between track segments as moving time", () => {
    const first = track({ start: T0, seconds: 900, speedMps: 3, heartRate: 140 });
    const second = track({ start: T0 + 1800_000, seconds: 900, speedMps: 3, heartRate: 140, lat0: 47.03 });
    const run = only(gpx({ type: "running", segments: [first, second] }));
    expect(run.durationSec).to.equal(1800);
    expect(run.elapsedSec).to.equal(2700);
    expect(codes(run)).to.deep.equal([]);
  });

  it("reads Strava's numeric types and Amazfit's <heartrate> extension", () => {
    const text = `<?xml version="1.0"?><gpx version="1.1"><trk><type>16</type><trkseg>
<trkpt lat="19.6" lon="-155.9"><time>2018-10-13T17:05:01Z</time><extensions><heartrate>98</heartrate></extensions></trkpt>
<trkpt lat="19.6003" lon="-155.9"><time>2018-10-13T17:05:31Z</time><extensions><heartrate>102</heartrate></extensions></trkpt>
</trkseg></trk></gpx>`;
    const swim = only(text);
    expect(swim.sport).to.equal("swim");
    expect(swim.samples.heartRateMin).to.equal(98);
    expect(swim.samples.heartRateMax).to.equal(102);
    expect(swim.durationSec).to.equal(30);
  });

  describe("a 1,000,000-point GPX generated in memory", () => {
    const N = 1_000_000;
    let bytes: Uint8Array;

    before(function () {
      this.timeout(120_000);
      // 0.1 s and 0.3 m between points (3 m/s): 100,000 s, 300 km, ~90 MB of XML.
      const parts: string[] = ['<?xml version="1.0"?><gpx version="1.1"><trk><type>running</type><trkseg>'];
      for (let i = 0; i < N; i += 1) {
        const lat = (45 + (i * 0.3) / 111_195).toFixed(7);
        parts.push(
          `<trkpt lat="${lat}" lon="7.0000000"><time>${new Date(T0 + i * 100).toISOString()}</time></trkpt>`,
        );
      }
      parts.push("</trkseg></trk></gpx>");
      bytes = utf8(parts.join("\n"));
    });

    it("is refused under the default limits with too_many_points, after a linear scan", () => {
      const error = thrown(() =>
        parseWorkoutFile(bytes, { ...DEFAULT_WORKOUT_FILE_LIMITS, maxBytes: 200 * 1024 * 1024 }),
      );
      expect(error).to.be.instanceOf(TooLargeError);
      expect(error.code).to.equal("too_many_points");
      expect(error.details).to.deep.equal({ limit: DEFAULT_WORKOUT_FILE_LIMITS.maxPoints, seen: 200_001 });
    });

    it("is refused as file_too_large under the default byte limit, before anything is parsed", () => {
      const error = thrown(() => parseWorkoutFile(bytes));
      expect(error.code).to.equal("file_too_large");
    });

    it("is parsed in one streaming pass into a bounded summary when the limits allow it", function () {
      this.timeout(120_000);
      // The parser itself: hashing 90 MB with the JS keccak of viem costs ~7 s and is not what is tested here.
      const text = new TextDecoder().decode(bytes);
      const rssBefore = process.memoryUsage().rss;
      const [run, ...rest] = parseGpx(text, { maxPoints: N, maxActivities: 1 });
      const rssGrowth = process.memoryUsage().rss - rssBefore;
      expect(rest).to.deep.equal([]);
      expect(run?.samples.points).to.equal(N);
      expect(run?.durationSec).to.equal(99_999.9);
      expect(run?.elapsedSec).to.equal(99_999.9);
      expect(run?.distanceM).to.be.closeTo(300_000, 30);
      expect(run?.samples.preview.length).to.be.at.most(MAX_PREVIEW_POINTS);
      expect(run?.samples.jumps.length).to.be.at.most(MAX_JUMPS);
      // The result is a few kilobytes whatever the input size; the pass itself allocates no tree.
      // (plus the decimated track the replay fingerprint reads, itself bounded by MAX_TRACK_POINTS).
      expect(JSON.stringify(run).length).to.be.below(40_000 + MAX_TRACK_POINTS * 64);
      expect(rssGrowth).to.be.below(512 * 1024 * 1024);
      if (run !== undefined) {
        const verdict = verifyWorkout(
          { ...run, contentHash: `0x${"ab".repeat(32)}` },
          { clock: new ManualClock(T0 + 3 * 86_400_000), acceptedExisting: [] },
        );
        expect(verdict).to.deep.equal({ status: "accepted", reasons: [] });
      }
    });
  });
});
