/**
 * A Strava activity as workout evidence: the summary fields, the samples built from streams (so the verifier's
 * plausibility checks run on provider data too), manual activities, and a content hash that is stable across
 * re-deliveries of the same activity.
 */
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import {
  stravaActivityEvidence,
  stravaContentHash,
} from "../../src/providers/strava/stravaActivityEvidence.ts";
import {
  type StravaActivity,
  stravaActivitySchema,
  stravaStreamsSchema,
} from "../../src/providers/strava/stravaSchemas.ts";
import { mapStravaSport } from "../../src/providers/strava/stravaSport.ts";
import { verifyWorkout } from "../../src/workouts/verifyWorkout.ts";
import { START } from "../http/testApp.ts";
import { runActivity } from "../support/fakeStrava.ts";

const clock = new ManualClock(START);

/** The fake's activity and streams, parsed the way the client parses Strava's answers. */
function parsed(parameters: Parameters<typeof runActivity>[0]) {
  const { activity, streams } = runActivity(parameters);
  return {
    activity: stravaActivitySchema.parse(activity),
    streams: streams === undefined ? null : stravaStreamsSchema.parse(streams),
  };
}

function verdictOf(input: ReturnType<typeof parsed>) {
  return verifyWorkout(stravaActivityEvidence(input), { clock, acceptedExisting: [] });
}

describe("Strava activity as evidence", () => {
  it("maps the summary and builds the samples from the streams", () => {
    const start = START - 3 * 3_600_000;
    const input = parsed({ id: 101, athleteId: 7, start, minutes: 45, heartRate: 150 });
    const evidence = stravaActivityEvidence(input);
    expect(evidence.source).to.equal("provider");
    expect(evidence.index).to.equal(0);
    expect(evidence.sport).to.equal("run");
    expect(evidence.deviceSport).to.equal("strava/Run");
    expect(evidence.startTime).to.equal(start);
    expect(evidence.durationSec).to.equal(2700);
    expect(evidence.elapsedSec).to.equal(2700);
    expect(evidence.distanceM).to.equal(8100);
    expect(evidence.avgHeartRate).to.equal(150);
    expect(evidence.maxHeartRate).to.equal(162);
    expect(evidence.samples.timedPoints).to.equal(541);
    expect(evidence.samples.minTime).to.equal(start);
    expect(evidence.samples.maxTime).to.equal(start + 2700 * 1000);
    expect(evidence.samples.heartRatePoints).to.equal(541);
    expect(evidence.samples.extentM).to.be.closeTo(8100, 1);
    expect(evidence.problems).to.deep.equal([]);
    expect(verdictOf(input)).to.deep.equal({ status: "accepted", reasons: [] });
  });

  it("lets the samples overrule a summary claiming more moving time than they cover", () => {
    const input = parsed({ id: 102, athleteId: 7, start: START - 7_200_000, minutes: 10 });
    const inflated = { ...input, activity: { ...input.activity, moving_time: 3600, elapsed_time: 3600 } };
    const evidence = stravaActivityEvidence(inflated);
    expect(evidence.elapsedSec).to.equal(3600);
    expect(evidence.durationSec).to.equal(600);
  });

  it("gets rejected by the verifier when the streams show a car, not a run", () => {
    const input = parsed({ id: 103, athleteId: 7, start: START - 7_200_000, minutes: 30, speedMps: 25 });
    const verdict = verdictOf(input);
    expect(verdict.status).to.equal("rejected");
    // The fake's car holds 90 km/h to within 0.5 % for 30 min: drawn, not driven, so also `synthetic_track`.
    expect(verdict.reasons.map((r) => r.code)).to.deep.equal(["implausible_speed", "synthetic_track"]);
  });

  it("has no device evidence without streams", () => {
    const input = parsed({ id: 104, athleteId: 7, start: START - 7_200_000, minutes: 30 });
    const verdict = verdictOf({ ...input, streams: null });
    expect(verdict.reasons.map((r) => r.code)).to.deep.equal(["not_a_workout"]);
  });

  it("keeps a manual activity's claims and has no samples", () => {
    const input = parsed({
      id: 105,
      athleteId: 7,
      start: START - 7_200_000,
      minutes: 30,
      manual: true,
      sportType: "Swim",
    });
    expect(input.activity.manual).to.equal(true);
    const evidence = stravaActivityEvidence(input);
    expect(evidence.sport).to.equal("swim");
    expect(evidence.durationSec).to.equal(1800);
    expect(evidence.samples.points).to.equal(0);
    expect(evidence.avgHeartRate).to.equal(undefined);
  });

  it("hashes provider, athlete, activity, start and moving time: stable across re-deliveries", () => {
    const input = parsed({ id: 106, athleteId: 7, start: START - 7_200_000, minutes: 30 });
    const first = stravaActivityEvidence(input).contentHash;
    const renamed: StravaActivity = { ...input.activity, name: "Renamed", private: true };
    expect(stravaActivityEvidence({ activity: renamed, streams: null }).contentHash).to.equal(first);
    expect(first).to.equal(
      stravaContentHash({
        athleteId: "7",
        activityId: "106",
        startTime: START - 7_200_000,
        movingTimeSec: 1800,
      }),
    );
    const variants = [
      stravaContentHash({
        athleteId: "8",
        activityId: "106",
        startTime: START - 7_200_000,
        movingTimeSec: 1800,
      }),
      stravaContentHash({
        athleteId: "7",
        activityId: "107",
        startTime: START - 7_200_000,
        movingTimeSec: 1800,
      }),
      stravaContentHash({
        athleteId: "7",
        activityId: "106",
        startTime: START - 7_199_000,
        movingTimeSec: 1800,
      }),
      stravaContentHash({
        athleteId: "7",
        activityId: "106",
        startTime: START - 7_200_000,
        movingTimeSec: 1799,
      }),
    ];
    expect(new Set([first, ...variants]).size).to.equal(5);
  });

  it("maps Strava's sport types, falling back to the older type and then to other", () => {
    const cases: [string | undefined, string | undefined, string][] = [
      ["TrailRun", "Run", "run"],
      ["VirtualRide", "VirtualRide", "ride"],
      ["GravelRide", "Ride", "ride"],
      ["EBikeRide", "EBikeRide", "other"],
      ["EMountainBikeRide", "Ride", "other"],
      ["Hike", "Hike", "walk"],
      ["WeightTraining", undefined, "strength"],
      ["Rowing", "Rowing", "row"],
      ["Swim", "Swim", "swim"],
      ["Yoga", "Yoga", "other"],
      ["SomethingNew", "Run", "run"],
      [undefined, "Walk", "walk"],
      [undefined, undefined, "other"],
      ["toString", undefined, "other"],
    ];
    for (const [sportType, type, sport] of cases) {
      expect(mapStravaSport({ sportType, type }), `${sportType}/${type}`).to.equal(sport);
    }
  });
});
