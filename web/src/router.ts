/**
 * A tiny hash router: `#/`, `#/new`, `#/workouts`, `#/coach`, and `#/review` (review operators; not in the main
 * navigation). Unknown paths fall back to the dashboard. `#/challenges` and `#/challenges/<id>` are both the
 * "/challenges" route (the screen reads the id itself). `#/claims`: every oracle's verdict, quorum and gasless claims.
 */
import { useEffect, useState } from "react";

export const ROUTES = ["/", "/new", "/workouts", "/coach", "/review", "/challenges", "/claims"] as const;
export type Route = (typeof ROUTES)[number];

export function routeOf(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  if (/^\/challenges\/[1-9]\d{0,76}$/.test(path)) return "/challenges";
  return (ROUTES as readonly string[]).includes(path) ? (path as Route) : "/";
}

export function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => routeOf(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
