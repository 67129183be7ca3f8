import { CrcCalculator, Decoder, Stream } from "@garmin/fitsdk";
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { AgentError, TooLargeError, ValidationError } from "../../src/errors.ts";
import { contentHash } from "../../src/workouts/contentHash.ts";
import { checkedCrcStream } from "../../src/workouts/parseFit.ts";
import { DEFAULT_MAX_FIT_FIELDS, DEFAULT_MAX_FIT_MESSAGES } from "../../src/workouts/parserLimits.ts";
import {
  DEFAULT_WORKOUT_FILE_LIMITS,
  type ParsedWorkout,
  parseWorkoutFile,
} from "../../src/workouts/parseWorkoutFile.ts";
import { fitCrc16, scanFit } from "../../src/workouts/scanFit.ts";
import { verifyWorkout } from "../../src/workouts/verifyWorkout.ts";
import {
  encodeFit,
  multiSessionFit,
  oneHourRunFit,
  pausedRideFit,
  prng,
  repeatedMessagesFit,
  strengthFit,
  T0,
  track,
} from "./fixtures.ts";

const clock = new ManualClock(T0 + 30 * 86_400_000);

function parse(bytes: Uint8Array, limits = DEFAULT_WORKOUT_FILE_LIMITS): ParsedWorkout[] {
  return parseWorkoutFile(bytes, limits);
}

function only(bytes: Uint8Array): ParsedWorkout {
  const activities = parse(bytes);
  expect(activities).to.have.length(1);
  return activities[0] as ParsedWorkout;
}

function verdictCodes(activity: ParsedWorkout): string[] {
  return verifyWorkout(activity, { clock, acceptedExisting: [] }).reasons.map((r) => r.code);
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

/** Offset of the first byte after the file header. */
function dataStart(bytes: Uint8Array): number {
  return bytes[0] ?? 14;
}

describe("parseFit", () => {
  it("parses a 1-hour run with a record every second", () => {
    const bytes = oneHourRunFit();
    const run = only(bytes);
    expect(run.source).to.equal("fit");
    expect(run.format).to.equal("fit");
    expect(run.sport).to.equal("run");
    expect(run.deviceSport).to.equal("running");
    expect(run.startTime).to.equal(T0);
    expect(run.durationSec).to.equal(3600);
    expect(run.elapsedSec).to.equal(3600);
    expect(run.distanceM).to.equal(10_800);
    expect(run.avgHeartRate).to.equal(150);
    expect(run.maxHeartRate).to.equal(160);
    expect(run.samples.points).to.equal(3601);
    expect(run.samples.heartRateMin).to.equal(140);
    expect(run.samples.heartRateMax).to.equal(160);
    expect(run.samples.recordedDistanceM).to.be.closeTo(10_800, 0.01);
    expect(run.contentHash).to.equal(contentHash(bytes));
    expect(run.fileHash).to.equal(run.contentHash);
    expect(run.problems).to.deep.equal([]);
    expect(verdictCodes(run)).to.deep.equal([]);
  });

  it("takes the timer time of a paused ride as its duration and the wall time as elapsed", () => {
    const ride = only(pausedRideFit());
    expect(ride.sport).to.equal("ride");
    expect(ride.deviceSport).to.equal("cycling/road");
    expect(ride.durationSec).to.equal(4200);
    expect(ride.elapsedSec).to.equal(5400);
    expect(ride.samples.movingSec).to.equal(4200);
    expect(ride.distanceM).to.equal(33_600);
    expect(verdictCodes(ride)).to.deep.equal([]);
  });

  it("accepts a strength session without GPS: heart rate is the evidence", () => {
    const session = only(strengthFit());
    expect(session.sport).to.equal("strength");
    expect(session.durationSec).to.equal(2700);
    expect(session.distanceM).to.equal(undefined);
    expect(session.samples.positionedPoints).to.equal(0);
    expect(session.samples.heartRatePoints).to.equal(1351);
    expect(verdictCodes(session)).to.deep.equal([]);
  });

  it("gives one activity per session of a multisport file and drops the transition", () => {
    const bytes = multiSessionFit();
    const [run, ride, ...rest] = parse(bytes);
    expect(rest).to.deep.equal([]);
    expect(run?.sport).to.equal("run");
    expect(run?.index).to.equal(0);
    expect(run?.startTime).to.equal(T0);
    expect(run?.durationSec).to.equal(1200);
    expect(run?.samples.points).to.equal(1201);
    expect(ride?.sport).to.equal("ride");
    expect(ride?.index).to.equal(1);
    expect(ride?.startTime).to.equal(T0 + 1500_000);
    expect(ride?.durationSec).to.equal(1800);
    expect(ride?.samples.points).to.equal(1801);
    const fileHash = contentHash(bytes);
    expect(run?.fileHash).to.equal(fileHash);
    expect(new Set([run?.contentHash, ride?.contentHash, fileHash]).size).to.equal(3);
  });

  it("trusts every complete record of a truncated copy (no session: sport other, timer from records)", () => {
    const full = oneHourRunFit();
    const cut = full.slice(0, Math.floor(full.length * 0.6));
    const partial = only(cut);
    expect(partial.problems).to.deep.equal([]);
    expect(partial.sport).to.equal("other");
    expect(partial.startTime).to.equal(T0);
    const points = partial.samples.points;
    expect(points).to.be.within(2000, 2300);
    // 1 Hz records: exactly points - 1 seconds of evidence, and the timer ran throughout.
    expect(partial.durationSec).to.equal(points - 1);
    expect(partial.elapsedSec).to.equal(points - 1);
    expect(verdictCodes(partial)).to.deep.equal([]);
    expect(scanFit(cut, 1e6).segments[0]?.status).to.equal("truncated");
  });

  it("reads an unfinalised file (header data size 0, no CRC) to its end", () => {
    const full = oneHourRunFit();
    const unfinalised = full.slice(0, full.length - 2);
    new DataView(unfinalised.buffer).setUint32(4, 0, true);
    const run = only(unfinalised);
    expect(run.problems).to.deep.equal([]);
    expect(run.sport).to.equal("run");
    expect(run.durationSec).to.equal(3600);
  });

  it("marks a file whose CRC does not match as corrupt_file", () => {
    const bytes = oneHourRunFit();
    const tampered = bytes.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0xff;
    const run = only(tampered);
    expect(run.problems.map((p) => p.code)).to.deep.equal(["corrupt_file"]);
    expect(verdictCodes(run)).to.deep.equal(["corrupt_file"]);
  });

  it("marks a file whose structure breaks mid-way as corrupt_file and keeps only what came before", () => {
    const bytes = oneHourRunFit();
    const scan = scanFit(bytes, 1e6);
    expect(scan.segments[0]?.status).to.equal("intact");
    const broken = bytes.slice();
    // Replace one record's header byte, mid-file, by a data header for a local message never defined (15).
    const middle = Math.floor(bytes.length / 2);
    let at = dataStart(bytes);
    const sizes = new Map<number, number>();
    while (at < middle) {
      const header = bytes[at] ?? 0;
      if ((header & 0x40) !== 0) {
        const fields = bytes[at + 5] ?? 0;
        let size = 0;
        for (let f = 0; f < fields; f += 1) size += bytes[at + 6 + f * 3 + 1] ?? 0;
        sizes.set(header & 0x0f, size);
        at += 6 + fields * 3;
      } else {
        at += 1 + (sizes.get(header & 0x0f) ?? 0);
      }
    }
    broken[at] = 0x0f;
    const activity = only(broken);
    expect(activity.problems.map((p) => p.code)).to.deep.equal(["corrupt_file"]);
    expect(activity.problems[0]?.message).to.match(/data message without a definition/);
    expect(activity.samples.points).to.be.below(3601);
    expect(verdictCodes(activity)).to.deep.equal(["corrupt_file"]);
  });

  it("throws corrupt_file when nothing can be trusted (only a header)", () => {
    const header = oneHourRunFit().slice(0, 14);
    const error = thrown(() => parse(header));
    expect(error).to.be.instanceOf(ValidationError);
    expect(error.code).to.equal("corrupt_file");
  });

  it("refuses a FIT course: timed records, but nobody did them", () => {
    const course = encodeFit({
      fileType: "course",
      timeCreated: T0,
      records: track({ start: T0, seconds: 600, speedMps: 3 }),
      sessions: [],
    });
    const error = thrown(() => parse(course));
    expect(error.code).to.equal("not_a_workout");
    expect(error.message).to.match(/course/);
  });

  it("rejects a session without records as not_a_workout (a summary is not evidence)", () => {
    const bytes = encodeFit({
      timeCreated: T0,
      records: [],
      sessions: [{ sport: "cycling", start: T0, timerSec: 19, elapsedSec: 38, avgHeartRate: 107 }],
    });
    const ride = only(bytes);
    expect(ride.samples.points).to.equal(0);
    expect(ride.durationSec).to.equal(19);
    expect(ride.elapsedSec).to.equal(38);
    expect(verdictCodes(ride)).to.deep.equal(["not_a_workout"]);
  });

  it("derives the duration from the records when the session's timer exceeds its elapsed time", () => {
    // Records for 20 min, a 100-min hole, 20 more min; the session claims timer 8,400 s > elapsed 2,400 s.
    const records = [
      ...track({ start: T0, seconds: 1200, speedMps: 2.8, withDistance: true }),
      ...track({ start: T0 + 7200_000, seconds: 1200, speedMps: 2.8, withDistance: true, lat0: 47.1 }).map(
        (p) => ({
          ...p,
          distance: (p.distance ?? 0) + 3360,
        }),
      ),
    ];
    const bytes = encodeFit({
      timeCreated: T0,
      records,
      // Like the Nielsen-Kellerman file: the timestamp is start + timer, the two totals are swapped.
      sessions: [
        {
          sport: "rowing",
          start: T0,
          timerSec: 8400,
          elapsedSec: 2400,
          distanceM: 6720,
          endTime: T0 + 8400_000,
        },
      ],
    });
    const row = only(bytes);
    expect(row.sport).to.equal("row");
    expect(row.durationSec).to.equal(2400);
    expect(row.elapsedSec).to.equal(8400);
    expect(verdictCodes(row)).to.deep.equal([]);
  });

  it("parses a session spanning 27 days, which the verifier refuses as invalid_timestamps", () => {
    const later = T0 + 27 * 86_400_000;
    const records = [
      ...track({ start: T0, seconds: 4, speedMps: 5, withDistance: true }),
      ...track({ start: later, seconds: 3600, speedMps: 8, withDistance: true, lat0: 47.2 }),
    ];
    const bytes = encodeFit({
      timeCreated: later,
      records,
      timerEvents: [
        [T0, "start"],
        [T0 + 4000, "stopAll"],
        [later, "start"],
        [later + 3600_000, "stopAll"],
      ],
      sessions: [{ sport: "cycling", start: T0, timerSec: 3604, elapsedSec: 27 * 86_400 + 3600 }],
    });
    const ride = only(bytes);
    expect(ride.durationSec).to.equal(3604);
    expect(ride.elapsedSec).to.equal(27 * 86_400 + 3600);
    const laterClock = new ManualClock(later + 86_400_000);
    const verdict = verifyWorkout(ride, { clock: laterClock, acceptedExisting: [] });
    expect(verdict.reasons.map((r) => r.code)).to.deep.equal(["invalid_timestamps"]);
    expect(verdict.reasons[0]?.message).to.match(/27\.0 days/);
  });

  it("decodes chained FIT files (one file appended to another) as one file with all their sessions", () => {
    const run = oneHourRunFit(T0);
    const strength = strengthFit(T0 + 86_400_000);
    const chained = new Uint8Array(run.length + strength.length);
    chained.set(run, 0);
    chained.set(strength, run.length);
    const activities = parse(chained);
    expect(activities.map((a) => a.sport)).to.deep.equal(["run", "strength"]);
    expect(activities.map((a) => a.durationSec)).to.deep.equal([3600, 2700]);
    expect(scanFit(chained, 1e6).segments.map((s) => s.status)).to.deep.equal(["intact", "intact"]);
  });

  it("refuses files with more records than maxPoints before decoding them", () => {
    const error = thrown(() => parse(oneHourRunFit(), { ...DEFAULT_WORKOUT_FILE_LIMITS, maxPoints: 1000 }));
    expect(error).to.be.instanceOf(TooLargeError);
    expect(error.code).to.equal("too_many_points");
    expect(error.details).to.deep.equal({ limit: 1000, seen: 1001 });
  });

  it("refuses files with more data messages of any kind than maxMessages, before decoding them", () => {
    // The security review's bomb, scaled down: empty event messages, one byte each, none of them a record.
    const started = performance.now();
    const error = thrown(() => parse(repeatedMessagesFit(DEFAULT_MAX_FIT_MESSAGES + 1)));
    expect(error).to.be.instanceOf(TooLargeError);
    expect(error.code).to.equal("too_many_messages");
    expect(error.details).to.deep.equal({
      field: "file",
      limit: DEFAULT_MAX_FIT_MESSAGES,
      seen: DEFAULT_MAX_FIT_MESSAGES + 1,
    });
    // The scan stops at the bound; the SDK never builds the half-million objects.
    expect(performance.now() - started).to.be.below(1_000);
    const small = thrown(() =>
      parse(repeatedMessagesFit(11), { ...DEFAULT_WORKOUT_FILE_LIMITS, maxMessages: 10 }),
    );
    expect(small.code).to.equal("too_many_messages");
  });

  it("refuses files whose messages hold more fields in all than maxFields (the decoded size)", () => {
    const error = thrown(() =>
      parse(repeatedMessagesFit(100, 21, 50), { ...DEFAULT_WORKOUT_FILE_LIMITS, maxFields: 4_999 }),
    );
    expect(error).to.be.instanceOf(TooLargeError);
    expect(error.code).to.equal("too_many_fields");
    expect(error.details).to.deep.equal({ field: "file", limit: 4_999, seen: 5_000 });
    // A normal one-hour file stays far inside the defaults.
    const scan = scanFit(oneHourRunFit(), 1e6);
    expect(scan.dataMessages).to.be.below(DEFAULT_MAX_FIT_MESSAGES / 100);
    expect(scan.fields).to.be.below(DEFAULT_MAX_FIT_FIELDS / 100);
  });

  it("refuses files with more activities than maxActivities", () => {
    const error = thrown(() =>
      parse(multiSessionFit(), { ...DEFAULT_WORKOUT_FILE_LIMITS, maxActivities: 1 }),
    );
    expect(error).to.be.instanceOf(TooLargeError);
    expect(error.code).to.equal("too_many_activities");
  });

  it("reports compressed-timestamp messages, which the SDK cannot decode, as unsupported_format", () => {
    const bytes = strengthFit();
    const patched = bytes.slice();
    // Turn the first data message after the definitions into a compressed-timestamp header.
    let at = dataStart(bytes);
    while (((patched[at] ?? 0) & 0x40) !== 0) at += 6 + (patched[at + 5] ?? 0) * 3;
    patched[at] = 0x80;
    const error = thrown(() => parse(patched));
    expect(error.code).to.equal("unsupported_format");
  });

  it("computes the FIT CRC-16 as the SDK's CrcCalculator does, over any bytes and range", () => {
    const random = prng(16);
    const bytes = Uint8Array.from({ length: 5000 }, () => Math.floor(random() * 256));
    for (let k = 0; k < 200; k += 1) {
      const start = Math.floor(random() * 5000);
      const end = start + Math.floor(random() * (5000 - start));
      expect(fitCrc16(bytes, start, end)).to.equal(CrcCalculator.calculateCRC(bytes, start, end));
    }
    const file = oneHourRunFit();
    expect(fitCrc16(file, 0, file.length)).to.equal(CrcCalculator.calculateCRC(file, 0, file.length));
    // A FIT file's CRC over itself and its stored CRC is 0.
    expect(fitCrc16(file, 0, file.length)).to.equal(0);
  });

  it("decodes through checkedCrcStream as through the SDK's Stream, without computing the CRC again", () => {
    for (const bytes of [oneHourRunFit(), pausedRideFit(), strengthFit(), multiSessionFit()]) {
      const plain = new Decoder(Stream.fromByteArray(bytes)).read();
      expect(plain.errors).to.deep.equal([]);
      expect(new Decoder(checkedCrcStream(bytes)).read()).to.deep.equal(plain);
    }
    // A view into a larger buffer (copied for the SDK, which reads its whole buffer) decodes the same.
    const file = oneHourRunFit();
    const padded = new Uint8Array(file.length + 20);
    padded.set(file, 7);
    expect(new Decoder(checkedCrcStream(padded.subarray(7, 7 + file.length))).read()).to.deep.equal(
      new Decoder(Stream.fromByteArray(file)).read(),
    );
    // The stream trusts the caller's CRC check (scanFit's): a wrong stored CRC is not noticed by the decode.
    const bytes = oneHourRunFit();
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    expect(String(new Decoder(Stream.fromByteArray(bytes)).read().errors[0])).to.match(/CRC error/);
    expect(new Decoder(checkedCrcStream(bytes)).read().errors).to.deep.equal([]);
  });

  it("scanFit validates header and file CRCs like the SDK's checkIntegrity", () => {
    const bytes = oneHourRunFit();
    const headerCrc = (bytes[12] ?? 0) | ((bytes[13] ?? 0) << 8);
    expect(headerCrc).to.equal(CrcCalculator.calculateCRC(bytes, 0, 12));
    const badHeader = bytes.slice();
    badHeader[12] = (badHeader[12] ?? 0) ^ 1;
    const scan = scanFit(badHeader, 1e6);
    expect(scan.segments[0]?.status).to.equal("crc_mismatch");
    expect(scan.segments[0]?.problem).to.equal("header CRC does not match");
    expect(scan.records).to.equal(3601);
  });
});
