import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Decoder, Stream } from "@garmin/fitsdk";
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { AgentError } from "../../src/errors.ts";
import { checkedCrcStream, type FitDecodeMode, parseFit } from "../../src/workouts/parseFit.ts";
import {
  DEFAULT_WORKOUT_FILE_LIMITS,
  type ParsedWorkout,
  parseWorkoutFile,
} from "../../src/workouts/parseWorkoutFile.ts";
import type { RejectionCode } from "../../src/workouts/reasons.ts";
import { scanFit } from "../../src/workouts/scanFit.ts";
import type { Sport } from "../../src/workouts/sport.ts";
import { type ExistingWorkout, verifyWorkout } from "../../src/workouts/verifyWorkout.ts";

/**
 * Every file of ../shared/fixtures/workouts (real device files, see SOURCES.md there) against an explicit
 * expected outcome. The folder is not part of the repo: the suite skips when it is absent. A file without an
 * entry below fails the suite, so a new fixture cannot slip in unjudged.
 *
 * Durations are the verifier's (timer time, pauses excluded), within 1% or 2 s. Where SOURCES.md and the file
 * disagree, the file wins; each such case says why.
 */
const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));
/** After every fixture's date: nothing is "in the future". */
const clock = new ManualClock(new Date("2026-06-01T00:00:00Z"));

interface ExpectedActivity {
  status: "accepted" | "rejected";
  sport: Sport;
  reasons?: RejectionCode[];
  durationSec: number;
  elapsedSec?: number;
}
type Expected = { activities: ExpectedActivity[] } | { throws: string };

const accepted = (sport: Sport, durationSec: number, elapsedSec?: number): ExpectedActivity => ({
  status: "accepted",
  sport,
  durationSec,
  ...(elapsedSec !== undefined ? { elapsedSec } : {}),
});
const rejected = (
  sport: Sport,
  reasons: RejectionCode[],
  durationSec: number,
  elapsedSec?: number,
): ExpectedActivity => ({
  status: "rejected",
  sport,
  reasons,
  durationSec,
  ...(elapsedSec !== undefined ? { elapsedSec } : {}),
});

const EXPECTED: Record<string, Expected> = {
  // 82 min timer / 85 min elapsed.
  "fit_applewatch_pool_swim.fit": { activities: [accepted("swim", 4904.138, 5101.159)] },
  // 3h08 timer / 3h32 elapsed, 6 pauses.
  "fit_coros_pace2_ride_paused.fit": { activities: [accepted("ride", 11_287, 12_719)] },
  // A session (19 s timer, 38 s elapsed) and zero records: a summary is not evidence.
  "fit_garmin_edge500_session_no_records.fit": {
    activities: [rejected("ride", ["not_a_workout"], 18.71, 38.35)],
  },
  // Indoor trainer: no GPS, distance 0, but heart rate and power.
  "fit_garmin_edge800_indoor_trainer.fit": { activities: [accepted("ride", 2261.85)] },
  "fit_garmin_edge810_ride_power.fit": { activities: [accepted("ride", 4700.05, 4700.05)] },
  "fit_garmin_fenix2_run.fit": { activities: [accepted("run", 2832)] },
  // 45 s: genuine, if far too short to count for any rule (that is evaluateForMilestone's too_short).
  "fit_garmin_fenix5_walk.fit": { activities: [accepted("walk", 45.379)] },
  // 92 sparse records (one every ~51 s): the moving-time gap cap follows the median interval.
  "fit_garmin_fr735xt_open_water_swim.fit": { activities: [accepted("swim", 4671.66)] },
  // Chained FIT: swim, T1, bike, T2, run; the transitions are not workouts.
  "fit_garmin_fr920xt_triathlon_chained.fit": {
    activities: [accepted("swim", 1987.521), accepted("ride", 4422.14), accepted("run", 2850.694)],
  },
  // 52 min timer / 63 min elapsed.
  "fit_garmin_fr945_treadmill_run.fit": { activities: [accepted("run", 3097.789, 3763.503)] },
  // Two sessions: indoor_cycling 10 min, strength_training 64.5 min timer / 66 min elapsed.
  "fit_garmin_fr965_indoorbike_plus_strength.fit": {
    activities: [accepted("ride", 600.436, 623.77), accepted("strength", 3868.636, 3946.006)],
  },
  "fit_garmin_fr965_strength.fit": { activities: [accepted("strength", 2404.937)] },
  "fit_garmin_vivoactivehr_indoor_rowing.fit": { activities: [accepted("row", 1707.308)] },
  // SOURCES says 73 min: that is the elapsed time (4,358 s); the timer says 4,315 s (71.9 min).
  "fit_hammerhead_karoo2_ride.fit": { activities: [accepted("ride", 4315, 4358)] },
  // Timer 2h03, elapsed 27.9 days (the device was started on June 20 and ridden on July 18): no window could
  // hold it, so it is rejected rather than counted on the wrong day.
  "fit_magellan_ride_27day_elapsed.fit": {
    activities: [rejected("ride", ["invalid_timestamps"], 7373, 2_412_583)],
  },
  // timer 21,680 s > elapsed 2,840 s: the session swapped them. The wall time is 21,680 s (records span 6 h with
  // a 5-hour hole); the moving time comes from the records (~3,024 s; the device's 2,840 s excludes a few more
  // short stops). sport=generic.
  "fit_nk_inverted_elapsed_timer.fit": { activities: [accepted("other", 3024, 21_680)] },
  // No session message, last message cut: records (4h39 of them) and 8 timer pauses make the activity.
  "fit_sigma_ride_no_session_badlen.fit": { activities: [accepted("ride", 14_382, 16_723)] },
  // Structure breaks at byte 7,471 of 78,233 (CRLF→LF mangling): only the session header before it decodes.
  "fit_strava_android_run_CORRUPT_crlf.fit": { activities: [rejected("run", ["corrupt_file"], 314, 3558)] },
  // 36.0 min timer / 36.6 elapsed, 3 "stop" (not "stop_all") pauses.
  "fit_suunto9_trail_run_paused.fit": { activities: [accepted("run", 2160.68, 2196)] },
  // 3h45 timer / 6h33 elapsed, 113 timer events.
  "fit_wahoo_elemnt_ride_paused.fit": { activities: [accepted("ride", 13_471, 23_595)] },
  // Unfinalised (data size 0) and cut mid-record: the 2,319 complete records hold the ~38 min ride. The file has
  // no sport, session or lap message, so its sport is "other" (judged with the ride limits).
  "fit_zwift_ride_unfinalized_truncated.fit": { activities: [accepted("other", 2318)] },
  // Virtual world coordinates, heart rate field all zeros (= no reading, not an implausible heart rate).
  "fit_zwift_virtual_ride.fit": { activities: [accepted("ride", 1808)] },
  "gpx_amazfit_run_hr.gpx": { activities: [accepted("run", 2531)] },
  // No <type>: "other".
  "gpx_apple_health_route.gpx": { activities: [accepted("other", 43)] },
  // A car: 94 km/h while climbing needs ~2.7 kW for 30 s. No <type>, so "other" (ride limits); as a run or a
  // ride it is rejected as well (see parseGpx.test.ts).
  "gpx_etrex_car_drive.gpx": { activities: [rejected("other", ["implausible_speed"], 514)] },
  // SOURCES' 16 min is the span of the points (948 s); one 106-s gap without points is a pause. No <type>.
  "gpx_garmin_connect_run_hr.gpx": { activities: [accepted("other", 842, 948)] },
  // Every point at -2^31 s (1901-12-13).
  "gpx_gpsbabel_bogus_1901_times.gpx": { activities: [rejected("other", ["invalid_timestamps"], 0, 0)] },
  // A planned route: 9,722 points, no time anywhere in the file.
  "gpx_mapmyfitness_route_no_times.gpx": { throws: "no_timestamps" },
  "gpx_strava_android_run_hr.gpx": { activities: [accepted("run", 1958)] },
  // <metadata><time> and no <trk>.
  "gpx_strava_metadata_only_no_track.gpx": { throws: "not_a_workout" },
  // 88 sparse points over 61 min.
  "gpx_strava_swim_hr.gpx": { activities: [accepted("swim", 3688)] },
  // Timestamps at +01:00. The lap claims 2,283 s from 15:43:49, but the 465 points cover 15:59:36-16:07:19
  // (7.7 min, as SOURCES says): the evidence wins.
  "tcx_fitbit_versa_ride_tzoffset.tcx": { activities: [accepted("ride", 463, 1410)] },
  // SOURCES says 72 min, the lap's TotalTimeSeconds (4,352 s), and 1.69 km: the 317 points show 6 min of riding
  // around a 66-min hole without any point (1.4 km/h over the lap). The file's evidence is 6 minutes.
  "tcx_garmin_edge520_ride_power_nohr.tcx": { activities: [accepted("ride", 358, 4352)] },
  // Four <Activity> on four days: run 60 min, bike 46, run 60, bike 43.
  "tcx_garmin_fr305_multi_activity.tcx": {
    activities: [
      accepted("run", 3601),
      accepted("ride", 2767.31),
      accepted("run", 3623),
      accepted("ride", 2597.27),
    ],
  },
  // SOURCES' 37.5 min is the wall time (2,254 s). The 8 laps add up to 2,299 s, more than the wall time, so the
  // moving time comes from the points (rests over 98 s excluded). Sport=Other.
  "tcx_garmin_fr910xt_pool_swim_nohr.tcx": { activities: [accepted("other", 1952, 2254)] },
  // SOURCES says 27 min: 1,638 s is 27.3.
  "tcx_garmin_fr945_treadmill.tcx": { activities: [accepted("run", 1638)] },
  "tcx_garmin_vivoactivehr_pool_swim.tcx": { activities: [accepted("other", 1530.668)] },
  "tcx_garmin_vivoactivehr_sup.tcx": { activities: [accepted("other", 1112)] },
  "tcx_garmin_vivoactivehr_walk.tcx": { activities: [accepted("other", 4495)] },
  // 10 spaces before <?xml. SOURCES' 36 min is the wall time (2,163 s); the 5 laps hold 1,545 s of moving time
  // around a 10-min stop.
  "tcx_polar_v800_run_leading_whitespace.tcx": { activities: [accepted("run", 1545, 2163.051)] },
};

function within(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= Math.max(2, expected * 0.01);
}

function run(file: string): { activities: ParsedWorkout[] } | { error: AgentError } {
  try {
    return { activities: parseWorkoutFile(readFileSync(`${FIXTURES}${file}`)) };
  } catch (error) {
    expect(error, `${file} threw an untyped error`).to.be.instanceOf(AgentError);
    return { error: error as AgentError };
  }
}

describe("shared fixtures (real device files)", () => {
  const present = existsSync(FIXTURES);
  const files = present
    ? readdirSync(FIXTURES)
        .filter((f) => !f.endsWith(".md"))
        .sort()
    : [];

  before(function () {
    if (!present) {
      console.log(`      (skipped: folder ${FIXTURES} not found)`);
      this.skip();
    }
  });

  it("has an expected outcome for every file in the folder, and a file for every expectation", () => {
    expect(files.filter((f) => EXPECTED[f] === undefined)).to.deep.equal([]);
    expect(Object.keys(EXPECTED).filter((f) => !files.includes(f))).to.deep.equal([]);
  });

  it("gives the same activities for every FIT file whether or not the SDK expands components", () => {
    // parseFit skips the SDK's component expansion when the scan finds nothing it reads that needs it; the
    // result must be exactly what the full decode gives (deep equality of every activity, or the same error).
    const outcome = (file: string, mode: FitDecodeMode) => {
      try {
        return parseFit(readFileSync(FIXTURES + file), DEFAULT_WORKOUT_FILE_LIMITS, mode);
      } catch (error) {
        return { error: String(error), code: error instanceof AgentError ? error.code : undefined };
      }
    };
    const fitFiles = files.filter((f) => f.endsWith(".fit"));
    for (const file of fitFiles) expect(outcome(file, "auto"), file).to.deep.equal(outcome(file, "full"));
    // Both paths are exercised: heart-rate messages or compressed speed/distance need the expansion.
    const needing = fitFiles.filter(
      (f) => scanFit(new Uint8Array(readFileSync(FIXTURES + f)), Number.MAX_SAFE_INTEGER).needsComponents,
    );
    expect(needing.length).to.be.within(1, fitFiles.length - 1);
  });

  it("decodes every intact FIT file through checkedCrcStream exactly as through the SDK's own Stream", () => {
    let intact = 0;
    for (const file of files.filter((f) => f.endsWith(".fit"))) {
      const bytes = new Uint8Array(readFileSync(FIXTURES + file));
      const scan = scanFit(bytes, Number.MAX_SAFE_INTEGER);
      if (scan.trailingBytes !== 0 || scan.segments.some((s) => s.status !== "intact")) continue;
      intact += 1;
      const plain = new Decoder(Stream.fromByteArray(bytes)).read();
      expect(plain.errors, file).to.deep.equal([]);
      expect(new Decoder(checkedCrcStream(bytes)).read(), file).to.deep.equal(plain);
    }
    expect(intact).to.be.greaterThan(10);
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(file, () => {
      const outcome = run(file);
      if ("throws" in expected) {
        expect("error" in outcome ? outcome.error.code : "parsed").to.equal(expected.throws);
        return;
      }
      if ("error" in outcome) expect.fail(`${file} threw ${outcome.error.code}: ${outcome.error.message}`);
      const activities = outcome.activities;
      // Verified in file order, each accepted one joining the accepted set, as the upload endpoint does: the legs
      // of one file never overlap each other.
      const acceptedSoFar: ExistingWorkout[] = [];
      const actual = activities.map((activity) => {
        const verdict = verifyWorkout(activity, { clock, acceptedExisting: acceptedSoFar });
        if (verdict.status === "accepted") {
          acceptedSoFar.push({
            contentHash: activity.contentHash,
            startTime: activity.startTime,
            endTime: activity.startTime + activity.elapsedSec * 1000,
          });
        }
        return { activity, verdict };
      });
      expect(actual.map((a) => `${a.verdict.status} ${a.activity.sport}`)).to.deep.equal(
        expected.activities.map((e) => `${e.status} ${e.sport}`),
      );
      actual.forEach(({ activity, verdict }, i) => {
        const e = expected.activities[i] as ExpectedActivity;
        expect(
          verdict.reasons.map((r) => r.code),
          `${file}[${i}] reasons`,
        ).to.deep.equal(e.reasons ?? []);
        expect(
          within(activity.durationSec, e.durationSec),
          `${file}[${i}] durationSec ${activity.durationSec}`,
        ).to.equal(true);
        if (e.elapsedSec !== undefined) {
          expect(
            within(activity.elapsedSec, e.elapsedSec),
            `${file}[${i}] elapsedSec ${activity.elapsedSec}`,
          ).to.equal(true);
        }
        expect(activity.durationSec).to.be.at.most(activity.elapsedSec);
      });
      // Uploading the same file again: every activity accepted the first time is now a duplicate.
      for (const { activity, verdict } of actual) {
        if (verdict.status !== "accepted") continue;
        const again = verifyWorkout(activity, { clock, acceptedExisting: acceptedSoFar });
        expect(again.reasons.map((r) => r.code)).to.deep.equal(["duplicate"]);
      }
    });
  }
});
