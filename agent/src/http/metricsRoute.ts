/**
 * HTTP metrics: a middleware timing every request into `agent_http_request_duration_seconds` (labelled by
 * the matched route pattern, never the raw URL, so ids do not explode the label set), and `GET /metrics`.
 */
import type { Request, RequestHandler } from "express";
import type { Metrics } from "../metrics.ts";

function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route === undefined || typeof route.path !== "string") return "unmatched";
  // A router's own root ("/" under /health) is labelled by its mount path: /health, not /health/.
  const label = `${req.baseUrl}${route.path}`;
  return label.length > 1 && label.endsWith("/") ? label.slice(0, -1) : label;
}

export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequestDuration.observe(
        { method: req.method, route: routeLabel(req), status: String(res.statusCode) },
        seconds,
      );
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
