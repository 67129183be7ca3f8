/** The seven sports of the product: the Workout `sport` values and what a rules document may name. */
export const SPORTS = ["run", "ride", "walk", "swim", "strength", "row", "other"] as const;
export type Sport = (typeof SPORTS)[number];

/** True when `value` is one of {@link SPORTS}. */
export function isSport(value: unknown): value is Sport {
  return typeof value === "string" && (SPORTS as readonly string[]).includes(value);
}
