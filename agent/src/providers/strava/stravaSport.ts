/**
 * Strava's activity types (`sport_type`, falling back to the older `type`) → the seven sports of the product.
 * Motor-assisted rides (e-bikes) are "other": not a human-powered ride. Anything not listed is "other", which
 * the verifier judges with the ride limits.
 */
import type { Sport } from "../../workouts/sport.ts";

const STRAVA_SPORTS: Record<string, Sport> = {
  Run: "run",
  TrailRun: "run",
  VirtualRun: "run",
  Ride: "ride",
  MountainBikeRide: "ride",
  GravelRide: "ride",
  VirtualRide: "ride",
  Handcycle: "ride",
  Velomobile: "ride",
  Walk: "walk",
  Hike: "walk",
  Swim: "swim",
  WeightTraining: "strength",
  Crossfit: "strength",
  Rowing: "row",
  VirtualRow: "row",
  EBikeRide: "other",
  EMountainBikeRide: "other",
};

export interface MapStravaSportParameters {
  sportType?: string | undefined;
  type?: string | undefined;
}
export type MapStravaSportReturnType = Sport;

export function mapStravaSport({ sportType, type }: MapStravaSportParameters): MapStravaSportReturnType {
  for (const label of [sportType, type]) {
    if (label !== undefined && Object.hasOwn(STRAVA_SPORTS, label)) return STRAVA_SPORTS[label] as Sport;
  }
  return "other";
}
