/**
 * Normalises the sport names devices write (FIT sport/sub-sport enums, TCX `Sport` attributes, GPX `<type>`
 * strings and Strava's numeric GPX types) to the seven sports of the product. The GPX words of each exporter
 * (Strava, Garmin Connect, Komoot, Apple Health exporters, OsmAnd, Runkeeper) are listed in README.md.
 */
import type { Sport } from "@resolution-autopilot/vocabulary";

export { SPORTS, type Sport } from "@resolution-autopilot/vocabulary";

export interface MapSportParameters {
  /** The main sport label (FIT `sport`, TCX `Sport`, GPX `<type>`). */
  sport?: string | number | undefined;
  /** A more specific label when the format has one (FIT `sub_sport`). */
  subSport?: string | number | undefined;
  /** Numeric labels are only meaningful in GPX (Strava's activity types). */
  source?: "fit" | "gpx" | "tcx";
}
/** `undefined` for a FIT "transition" (the gap between two legs of a multisport event, not a workout). */
export type MapSportReturnType = Sport | undefined;

/** Sub-sports that decide on their own, whatever the main sport says (e.g. fitness_equipment/indoor_rowing). */
const BY_SUB_SPORT: Record<string, Sport> = {
  treadmill: "run",
  trail: "run",
  track: "run",
  street: "run",
  indoorrunning: "run",
  ultra: "run",
  indoorcycling: "ride",
  spin: "ride",
  road: "ride",
  mountain: "ride",
  gravelcycling: "ride",
  cyclocross: "ride",
  handcycling: "ride",
  trackcycling: "ride",
  bmx: "ride",
  downhill: "ride",
  recumbent: "ride",
  commuting: "ride",
  mixedsurface: "ride",
  indoorwalking: "walk",
  casualwalking: "walk",
  speedwalking: "walk",
  lapswimming: "swim",
  openwater: "swim",
  strengthtraining: "strength",
  indoorrowing: "row",
};

/** Main sport names (FIT enum names, TCX and GPX words), lower-cased with separators removed. */
const BY_SPORT: Record<string, Sport> = {
  running: "run",
  run: "run",
  trailrunning: "run",
  treadmill: "run",
  treadmillrunning: "run",
  virtualrun: "run",
  cycling: "ride",
  biking: "ride",
  bike: "ride",
  ride: "ride",
  roadbiking: "ride",
  mountainbiking: "ride",
  gravelcycling: "ride",
  indoorcycling: "ride",
  virtualride: "ride",
  walking: "walk",
  walk: "walk",
  hiking: "walk",
  hike: "walk",
  swimming: "swim",
  swim: "swim",
  openwaterswimming: "swim",
  poolswimming: "swim",
  strength: "strength",
  strengthtraining: "strength",
  weighttraining: "strength",
  weightlifting: "strength",
  rowing: "row",
  row: "row",
  indoorrowing: "row",
  // Strava's type names (API `sport_type`, newer GPX exports).
  trailrun: "run",
  mountainbikeride: "ride",
  gravelride: "ride",
  handcycle: "ride",
  velomobile: "ride",
  virtualrow: "row",
  // Garmin Connect's activity type keys (GPX <type>), separators removed.
  streetrunning: "run",
  trackrunning: "run",
  indoorrunning: "run",
  cyclocross: "ride",
  trackcycling: "ride",
  recumbentcycling: "ride",
  virtualcycling: "ride",
  casualwalking: "walk",
  speedwalking: "walk",
  lapswimming: "swim",
  openwaterswim: "swim",
  // Komoot's sport ids.
  jogging: "run",
  touringbicycle: "ride",
  racebike: "ride",
  mtb: "ride",
  mtbeasy: "ride",
  mtbadvanced: "ride",
  citybike: "ride",
  mountaineering: "walk",
  // Apple Health (HKWorkoutActivityType… without its prefix) and the Apple Workout app's names.
  cycle: "ride",
  outdoorrun: "run",
  indoorrun: "run",
  outdoorwalk: "walk",
  indoorwalk: "walk",
  outdoorcycle: "ride",
  indoorcycle: "ride",
  poolswim: "swim",
  traditionalstrengthtraining: "strength",
  functionalstrengthtraining: "strength",
  // OsmAnd's activity ids and Runkeeper's activity names.
  roadcycling: "ride",
  roadbike: "ride",
  mountainbike: "ride",
  nordicwalking: "walk",
  spinning: "ride",
};

/** Motor-assisted sports: named by the file, and not a human-powered sport of the product ("other"). */
const MOTOR_ASSISTED = new Set([
  "ebiking",
  "ebikeride",
  "emountainbikeride",
  "ebikefitness",
  "ebikemountain",
  "etouringbicycle",
  "emtb",
  "emtbeasy",
  "emtbadvanced",
  "eracebike",
]);

/**
 * Labels that name no sport at all: a file with one of them (or none) leaves the sport open, so the agent
 * infers it from the data and the user may declare it (inferSport.ts). Anything else is the file's word.
 */
const OPEN_LABELS = new Set(["", "other", "generic", "unknown", "uncategorized", "all", "none", "workout"]);
/** Strava's numeric "workout" (11) names no sport either; numbers only mean Strava types in GPX. */
const OPEN_GPX_NUMBERS = new Set(["11"]);

/**
 * True when the device's sport label (`deviceSport`, e.g. "generic/generic", "Other", none) names no sport.
 */
export function leavesSportOpen(deviceSport: string | undefined, source?: "fit" | "gpx" | "tcx"): boolean {
  if (deviceSport === undefined) return true;
  return deviceSport.split("/").every((part) => {
    const label = key(part) ?? "";
    return OPEN_LABELS.has(label) || (source === "gpx" && OPEN_GPX_NUMBERS.has(label));
  });
}

/**
 * Strava's numeric GPX `<type>` (its activity-type enumeration): the fixtures pin 9 = run and 16 = swim; 1 = ride
 * and 10 = walk are the other long-standing values, then 4 = hike, 17 = virtual ride, 23 = rowing, 30 = weight
 * training, 53 = virtual run. 11 (workout) names no sport; any other number is a sport outside the product's
 * seven ("other", as named by the file: 18 e-bike, 2 alpine ski, 24 stand-up paddling, ...).
 */
const STRAVA_NUMERIC: Record<string, Sport> = {
  "1": "ride",
  "4": "walk",
  "9": "run",
  "10": "walk",
  "16": "swim",
  "17": "ride",
  "23": "row",
  "30": "strength",
  "53": "run",
};

/** Apple Health's HealthKit constant names carry this prefix (`HKWorkoutActivityTypeRunning`). */
const HEALTHKIT_PREFIX = "hkworkoutactivitytype";

function key(label: string | number | undefined): string | undefined {
  if (label === undefined) return undefined;
  const normalised = String(label)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
  return normalised.startsWith(HEALTHKIT_PREFIX) ? normalised.slice(HEALTHKIT_PREFIX.length) : normalised;
}

export function mapSport({ sport, subSport, source }: MapSportParameters): MapSportReturnType {
  const main = key(sport);
  const sub = key(subSport);
  if (main === "transition") return undefined;
  // E-bikes are motor assisted: not a human-powered ride.
  if ((main !== undefined && MOTOR_ASSISTED.has(main)) || (sub !== undefined && MOTOR_ASSISTED.has(sub))) {
    return "other";
  }
  if (sub !== undefined && BY_SUB_SPORT[sub] !== undefined) {
    // "virtual_activity", "indoor_*" and friends only refine the main sport, so check the main one first for
    // sub-sports that several sports share (treadmill exists under running and fitness_equipment).
    if (
      main !== undefined &&
      BY_SPORT[main] !== undefined &&
      main !== "fitnessequipment" &&
      main !== "training"
    ) {
      return BY_SPORT[main];
    }
    return BY_SUB_SPORT[sub];
  }
  if (main === undefined || main === "") return "other";
  if (source === "gpx" && STRAVA_NUMERIC[main] !== undefined) return STRAVA_NUMERIC[main];
  return BY_SPORT[main] ?? "other";
}
