/**
 * HTTP metrics: a middleware timing every request into `agent_http_request_duration_seconds` (labelled by
 * the matched route pattern, never the raw URL, so ids do not explode the label set), and `GET /metrics`.
 */
import type { Request, RequestHandler } from "express";
import type { Metrics } from "../metrics.ts";

/** The path of a request target as Express routes it: without scheme and host (absolute form), query or fragment. */
function routedPath(target: string): string {
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  const path = origin === null ? target : target.slice(origin[0].length);
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/**
 * Where the matched route's router is mounted, rebuilt from the path when Express has already reset `baseUrl`
 * (an error thrown in a nested router reaches the error handler, and 'finish', with `baseUrl` back to ""): the
 * path ends with as many segments as the route's pattern has (the agent's patterns have no wildcards). The path is
 * the one Express routed on (no query, no fragment, no scheme and host of an absolute-form target), with its
 * trailing slashes dropped (Express takes one).
 */
function mountPathOf(req: Request, pattern: string): string {
  const path = routedPath(req.originalUrl).replace(/\/+$/, "");
  const segments = path.split("/");
  const inPattern = pattern === "/" ? 0 : pattern.split("/").length - 1;
  return segments.slice(0, Math.max(1, segments.length - inPattern)).join("/");
}

/**
 * The matched route pattern (`/api/commitments/:id`), or `unmatched`; never the raw URL. Express matches paths
 * without regard to case, so the mount part is lower-cased (every mount path of the agent is): `/HEALTH` and
 * `/Api/Rules/<id>/` are `/health` and `/api/rules/:hash`, not a new label set each, which prom-client would keep
 * for good.
 */
export function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route === undefined || typeof route.path !== "string") return "unmatched";
  // A router's own root ("/" under /health) is labelled by its mount path: /health, not /health/.
  const mount = (req.baseUrl === "" ? mountPathOf(req, route.path) : req.baseUrl).toLowerCase();
  const label = `${mount}${route.path}`;
  return label.length > 1 && label.endsWith("/") ? label.slice(0, -1) : label;
}

/** Label sets seen so far → their histogram child (prom-client hashes the labels on every observe otherwise). */
const MAX_REMEMBERED_LABEL_SETS = 1_000;

export function httpMetrics(metrics: Metrics): RequestHandler {
  const children = new Map<string, { observe(value: number): void }>();
  const childFor = (method: string, route: string, status: string) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (child === undefined) {
      child = metrics.httpRequestDuration.labels({ method, route, status });
      // Bounded: route labels are patterns, so the set is small; past the bound, children are not remembered.
      if (children.size < MAX_REMEMBERED_LABEL_SETS) children.set(key, child);
    }
    return child;
  };
  return (req, res, next) => {
    const started = performance.now();
    // `on`, not `once`: 'finish' fires once, and a once-wrapper per request is an allocation for nothing.
    res.on("finish", () => {
      const seconds = (performance.now() - started) / 1000;
      childFor(req.method, routeLabel(req), String(res.statusCode)).observe(seconds);
      metrics.recent.api.record(seconds);
    });
    next();
  };
}

export function metricsHandler(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.setHeader("Cache-Control", "no-store");
    res.type(metrics.registry.contentType).send(body);
  };
}
