/**
 * Normalises the sport names devices write (FIT sport/sub-sport enums, TCX `Sport` attributes, GPX `<type>`
 * strings and Strava's numeric GPX types) to the seven sports of the product.
 */
export const SPORTS = ["run", "ride", "walk", "swim", "strength", "row", "other"] as const;
export type Sport = (typeof SPORTS)[number];

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
};

/**
 * Strava's numeric GPX `<type>`: the two fixtures we have pin 9 = run and 16 = swim; 1 = ride and 10 = walk are
 * the other long-standing values. Anything else is "other".
 */
const STRAVA_NUMERIC: Record<string, Sport> = { "1": "ride", "9": "run", "10": "walk", "16": "swim" };

function key(label: string | number | undefined): string | undefined {
  if (label === undefined) return undefined;
  return String(label)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
}

export function mapSport({ sport, subSport, source }: MapSportParameters): MapSportReturnType {
  const main = key(sport);
  const sub = key(subSport);
  if (main === "transition") return undefined;
  // E-bikes are motor assisted: not a human-powered ride.
  if (main === "ebiking" || sub === "ebikeride" || sub === "ebikemountain") return "other";
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
