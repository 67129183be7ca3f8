import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { AgentError } from "../../src/errors.ts";
import { type SettledSportOrigin, settleSport } from "../../src/workouts/inferSport.ts";
import { parseWorkoutFile } from "../../src/workouts/parseWorkoutFile.ts";
import type { Sport } from "../../src/workouts/sport.ts";
import { type ExistingWorkout, verifyWorkout } from "../../src/workouts/verifyWorkout.ts";

/**
 * The sport of every file of ../shared/fixtures/workouts (real device files, see SOURCES.md there) once the
 * agent has settled it (workouts/inferSport.ts: the file's own sport, else the one inferred from the data), and
 * whether the workout then counts for a rules document listing that sport: accepted, and a sport other than
 * `other`. The folder is not part of the repo: the suite skips, saying so, when it is absent. A file without an
 * entry fails the suite. The README's verification section quotes the totals this suite checks.
 */
const FIXTURES = fileURLToPath(new URL("../../../../shared/fixtures/workouts/", import.meta.url));
const clock = new ManualClock(new Date("2026-06-01T00:00:00Z"));

/** [settled sport, origin, counts] per activity; a string: the file yields no workout (that error code). */
type Expected = [Sport, SettledSportOrigin, boolean][] | string;

const named = (sport: Sport, counts = true): [Sport, SettledSportOrigin, boolean] => [sport, "named", counts];
const inferred = (sport: Sport, counts = true): [Sport, SettledSportOrigin, boolean] => [
  sport,
  "inferred",
  counts,
];
const unknown: [Sport, SettledSportOrigin, boolean] = ["other", "unknown", false];

const EXPECTED: Record<string, Expected> = {
  "fit_applewatch_pool_swim.fit": [named("swim")],
  "fit_coros_pace2_ride_paused.fit": [named("ride")],
  "fit_garmin_edge500_session_no_records.fit": [named("ride", false)],
  "fit_garmin_edge800_indoor_trainer.fit": [named("ride")],
  "fit_garmin_edge810_ride_power.fit": [named("ride")],
  "fit_garmin_fenix2_run.fit": [named("run")],
  "fit_garmin_fenix5_walk.fit": [named("walk")],
  "fit_garmin_fr735xt_open_water_swim.fit": [named("swim")],
  "fit_garmin_fr920xt_triathlon_chained.fit": [named("swim"), named("ride"), named("run")],
  "fit_garmin_fr945_treadmill_run.fit": [named("run")],
  "fit_garmin_fr965_indoorbike_plus_strength.fit": [named("ride"), named("strength")],
  "fit_garmin_fr965_strength.fit": [named("strength")],
  "fit_garmin_vivoactivehr_indoor_rowing.fit": [named("row")],
  "fit_hammerhead_karoo2_ride.fit": [named("ride")],
  "fit_magellan_ride_27day_elapsed.fit": [named("ride", false)],
  // Nielsen-Kellerman (a rowing speed coach), sport=generic: stroke rate 21 /min at a 2:54 /500 m split.
  "fit_nk_inverted_elapsed_timer.fit": [inferred("row")],
  "fit_sigma_ride_no_session_badlen.fit": [named("ride")],
  "fit_strava_android_run_CORRUPT_crlf.fit": [named("run", false)],
  "fit_suunto9_trail_run_paused.fit": [named("run")],
  "fit_wahoo_elemnt_ride_paused.fit": [named("ride")],
  // No session, lap or sport message: power, pedal cadence 77 rpm, 31.9 km/h.
  "fit_zwift_ride_unfinalized_truncated.fit": [inferred("ride")],
  "fit_zwift_virtual_ride.fit": [named("ride")],
  "gpx_amazfit_run_hr.gpx": [named("run")],
  // 43 s of track: too little to tell.
  "gpx_apple_health_route.gpx": [unknown],
  // A car: a tenth of the time above 60 km/h; rejected (implausible_speed) whatever its sport.
  "gpx_etrex_car_drive.gpx": [unknown],
  // No <type>: running pace with GPS and a working heart rate.
  "gpx_garmin_connect_run_hr.gpx": [inferred("run")],
  // Every point at 1901-12-13: no speed to read, and rejected (invalid_timestamps).
  "gpx_gpsbabel_bogus_1901_times.gpx": [unknown],
  "gpx_mapmyfitness_route_no_times.gpx": "no_timestamps",
  "gpx_strava_android_run_hr.gpx": [named("run")],
  "gpx_strava_metadata_only_no_track.gpx": "not_a_workout",
  "gpx_strava_swim_hr.gpx": [named("swim")],
  "tcx_fitbit_versa_ride_tzoffset.tcx": [named("ride")],
  "tcx_garmin_edge520_ride_power_nohr.tcx": [named("ride")],
  "tcx_garmin_fr305_multi_activity.tcx": [named("run"), named("ride"), named("run"), named("ride")],
  // Sport="Other": 80 lengths of 25 m without GPS.
  "tcx_garmin_fr910xt_pool_swim_nohr.tcx": [inferred("swim")],
  "tcx_garmin_fr945_treadmill.tcx": [named("run")],
  // Sport="Other": 30 lengths of 50 m without GPS.
  "tcx_garmin_vivoactivehr_pool_swim.tcx": [inferred("swim")],
  // Sport="Other" (stand-up paddling): walking pace, no step cadence, flat: it stays `other`.
  "tcx_garmin_vivoactivehr_sup.tcx": [unknown],
  // Sport="Other": the laps carry a step cadence (AvgRunCadence) at walking pace.
  "tcx_garmin_vivoactivehr_walk.tcx": [inferred("walk")],
  "tcx_polar_v800_run_leading_whitespace.tcx": [named("run")],
};

/** What the README's verification section says. */
const TOTALS = { files: 40, countingBefore: 25, countingNow: 31, inferred: 6 };

describe("shared fixtures: the sport each file's workouts count as", () => {
  const present = existsSync(FIXTURES);
  const files = present
    ? readdirSync(FIXTURES)
        .filter((f) => !f.endsWith(".md"))
        .sort()
    : [];

  before(function () {
    if (!present) {
      console.log(
        `      (skipped: folder ${FIXTURES} not found; it holds real device files, see SOURCES.md)`,
      );
      this.skip();
    }
  });

  /** Per file: [settled sport, origin, counts] per activity, or the error code of a file without workouts. */
  function outcomeOf(file: string): Expected {
    let activities: ReturnType<typeof parseWorkoutFile>;
    try {
      activities = parseWorkoutFile(readFileSync(`${FIXTURES}${file}`));
    } catch (error) {
      expect(error, `${file} threw an untyped error`).to.be.instanceOf(AgentError);
      return (error as AgentError).code;
    }
    const acceptedSoFar: ExistingWorkout[] = [];
    return activities.map((activity) => {
      const settled = settleSport(activity);
      const verdict = verifyWorkout(
        { ...activity, sport: settled.sport },
        { clock, acceptedExisting: acceptedSoFar },
      );
      if (verdict.status === "accepted") {
        acceptedSoFar.push({
          contentHash: activity.contentHash,
          startTime: activity.startTime,
          endTime: activity.startTime + activity.elapsedSec * 1000,
        });
      }
      return [settled.sport, settled.origin, verdict.status === "accepted" && settled.sport !== "other"];
    });
  }

  it("names every file in the folder, and a file for every name", () => {
    expect(files.filter((f) => EXPECTED[f] === undefined)).to.deep.equal([]);
    expect(Object.keys(EXPECTED).filter((f) => !files.includes(f))).to.deep.equal([]);
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(file, () => {
      expect(outcomeOf(file)).to.deep.equal(expected);
    });
  }

  it(`${TOTALS.countingNow} of the ${TOTALS.files} files now hold a workout that counts (${TOTALS.countingBefore} before inference), ${TOTALS.inferred} by an inferred sport`, () => {
    const outcomes = files.map(outcomeOf);
    const counting = outcomes.filter((o) => typeof o !== "string" && o.some(([, , counts]) => counts));
    const byInference = outcomes.filter(
      (o) => typeof o !== "string" && o.some(([, origin, counts]) => counts && origin === "inferred"),
    );
    expect(files).to.have.length(TOTALS.files);
    expect(counting).to.have.length(TOTALS.countingNow);
    expect(byInference).to.have.length(TOTALS.inferred);
    expect(TOTALS.countingNow - TOTALS.inferred).to.equal(TOTALS.countingBefore);
  });
});
