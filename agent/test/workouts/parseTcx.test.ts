import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { AgentError } from "../../src/errors.ts";
import { contentHash } from "../../src/workouts/contentHash.ts";
import { type ParsedWorkout, parseWorkoutFile } from "../../src/workouts/parseWorkoutFile.ts";
import { verifyWorkout } from "../../src/workouts/verifyWorkout.ts";
import { T0, tcx, track, utf8 } from "./fixtures.ts";

const clock = new ManualClock(T0 + 30 * 86_400_000);
const DAY = 86_400_000;

function parse(text: string): ParsedWorkout[] {
  return parseWorkoutFile(utf8(text));
}

function codes(activity: ParsedWorkout): string[] {
  return verifyWorkout(activity, { clock, acceptedExisting: [] }).reasons.map((r) => r.code);
}

describe("parseTcx", () => {
  it("gives one activity per <Activity> of a multi-activity file, each with its own content hash", () => {
    const text = tcx([
      {
        sport: "Running",
        laps: [
          {
            start: T0,
            totalTimeSec: 3600,
            distanceM: 10_800,
            avgHeartRate: 150,
            maxHeartRate: 170,
            points: track({
              start: T0,
              seconds: 3600,
              intervalSec: 5,
              speedMps: 3,
              withDistance: true,
              heartRate: 150,
            }),
          },
        ],
      },
      {
        sport: "Biking",
        laps: [
          {
            start: T0 + 2 * DAY,
            totalTimeSec: 2700,
            avgHeartRate: 130,
            points: track({
              start: T0 + 2 * DAY,
              seconds: 2700,
              intervalSec: 5,
              speedMps: 0,
              withPosition: false,
              heartRate: 130,
            }),
          },
        ],
      },
    ]);
    const bytes = utf8(text);
    const [run, ride, ...rest] = parseWorkoutFile(bytes);
    expect(rest).to.deep.equal([]);
    expect(run?.sport).to.equal("run");
    expect(run?.startTime).to.equal(T0);
    expect(run?.durationSec).to.equal(3600);
    expect(run?.distanceM).to.equal(10_800);
    expect(run?.avgHeartRate).to.equal(150);
    expect(run?.maxHeartRate).to.equal(170);
    expect(ride?.sport).to.equal("ride");
    expect(ride?.startTime).to.equal(T0 + 2 * DAY);
    expect(ride?.durationSec).to.equal(2700);
    expect(ride?.distanceM).to.equal(undefined);
    expect(new Set([run?.contentHash, ride?.contentHash, contentHash(bytes)]).size).to.equal(3);
    for (const activity of [run, ride]) if (activity !== undefined) expect(codes(activity)).to.deep.equal([]);
  });

  it("finds activities inside a <MultiSportSession>", () => {
    const single = tcx([
      {
        sport: "Running",
        laps: [{ start: T0, totalTimeSec: 600, points: track({ start: T0, seconds: 600, speedMps: 3 }) }],
      },
    ]);
    const wrapped = single
      .replace("<Activities>", "<Activities><MultiSportSession><Id>x</Id><FirstSport>")
      .replace("</Activities>", "</FirstSport></MultiSportSession></Activities>");
    const [run, ...rest] = parse(wrapped);
    expect(rest).to.deep.equal([]);
    expect(run?.sport).to.equal("run");
    expect(run?.durationSec).to.equal(600);
  });

  it("converts timestamps with a UTC offset to instants", () => {
    const [ride] = parse(
      tcx([
        {
          sport: "Biking",
          laps: [
            {
              start: T0,
              offset: "+01:00",
              totalTimeSec: 460,
              points: track({ start: T0, seconds: 460, speedMps: 5, heartRate: 121 }),
            },
          ],
        },
      ]),
    );
    expect(ride?.startTime).to.equal(T0);
    expect(ride?.durationSec).to.equal(460);
  });

  it("trusts the samples over a lap that claims 38 minutes over 7.7 minutes of track points", () => {
    const firstPoint = T0 + 947_000; // the lap starts 15.8 minutes before the first point (Fitbit)
    const [ride] = parse(
      tcx([
        {
          sport: "Biking",
          laps: [
            {
              start: T0,
              totalTimeSec: 2283,
              distanceM: 6840,
              points: track({ start: firstPoint, seconds: 463, speedMps: 3, heartRate: 134 }),
            },
          ],
        },
      ]),
    );
    expect(ride?.startTime).to.equal(T0);
    expect(ride?.durationSec).to.equal(463);
    expect(ride?.elapsedSec).to.equal(947 + 463);
  });

  it("accepts leading whitespace and a BOM before the XML declaration, and maps Sport=Other to other", () => {
    const text = tcx(
      [
        {
          sport: "Other",
          laps: [{ start: T0, totalTimeSec: 300, points: track({ start: T0, seconds: 300, speedMps: 1.2 }) }],
        },
      ],
      { leading: "\ufeff          " },
    );
    const [activity] = parse(text);
    expect(activity?.sport).to.equal("other");
    expect(activity?.durationSec).to.equal(300);
  });

  it("weighs lap heart rates by lap time", () => {
    const points = (start: number) => track({ start, seconds: 600, speedMps: 3 });
    const [run] = parse(
      tcx([
        {
          sport: "Running",
          laps: [
            { start: T0, totalTimeSec: 600, avgHeartRate: 140, points: points(T0) },
            { start: T0 + 601_000, totalTimeSec: 1200, avgHeartRate: 170, points: points(T0 + 601_000) },
          ],
        },
      ]),
    );
    expect(run?.avgHeartRate).to.equal(160);
  });

  it("flags track points without <Time> as no_timestamps and places them at the lap start", () => {
    const untimed = track({ start: T0, seconds: 100, speedMps: 3 }).map(({ time: _, ...p }) => p);
    const [activity] = parse(
      tcx([{ sport: "Running", laps: [{ start: T0, totalTimeSec: 100, points: untimed }] }]),
    );
    expect(activity?.startTime).to.equal(T0);
    expect(activity?.problems.map((p) => p.code)).to.deep.equal(["no_timestamps"]);
    if (activity !== undefined) expect(codes(activity)).to.deep.equal(["no_timestamps"]);
  });

  it("rejects an activity with laps but no track points as not_a_workout (a manual entry in a TCX)", () => {
    const [activity] = parse(
      tcx([{ sport: "Running", laps: [{ start: T0, totalTimeSec: 1800, points: [] }] }]),
    );
    expect(activity?.durationSec).to.equal(1800);
    if (activity !== undefined) expect(codes(activity)).to.deep.equal(["not_a_workout"]);
  });

  it("throws not_a_workout for a TCX without activities (courses only)", () => {
    const text = `<?xml version="1.0"?><TrainingCenterDatabase><Courses><Course><Name>x</Name></Course></Courses></TrainingCenterDatabase>`;
    try {
      parse(text);
      expect.fail("accepted");
    } catch (error) {
      expect(error).to.be.instanceOf(AgentError);
      expect((error as AgentError).code).to.equal("not_a_workout");
    }
  });
});
