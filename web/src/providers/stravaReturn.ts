/**
 * Strava's OAuth flow ends with the agent sending the browser to the web app with `?provider=strava&status=…`
 * (STRAVA_WEB_REDIRECT_URL, by default the app's root). These helpers read that answer, send the person to the
 * Workouts screen where the Strava link is shown, and clear it from the address once shown. Kept apart from
 * the Strava component so the entry chunk stays small.
 */

export type StravaReturn = "connected" | null;

/** `"connected"` when this URL is the end of a successful Strava authorisation, else null. */
export function stravaReturnOf(search: string): StravaReturn {
  const params = new URLSearchParams(search);
  return params.get("provider") === "strava" && params.get("status") === "connected" ? "connected" : null;
}

/** On a return from Strava to a screen other than Workouts, goes to `#/workouts` (the query stays). */
export function routeStravaReturn(location: Pick<Location, "search" | "hash">): void {
  if (stravaReturnOf(location.search) !== null && location.hash !== "#/workouts") {
    location.hash = "#/workouts";
  }
}

/** Removes `provider` and `status` from the address bar (keeps the rest and the hash). */
export function clearStravaReturn(): void {
  const url = new URL(window.location.href);
  url.searchParams.delete("provider");
  url.searchParams.delete("status");
  window.history.replaceState(window.history.state, "", url.toString());
}
