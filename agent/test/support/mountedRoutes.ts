/**
 * Every route an Express 5 app serves, found by walking its router stack: `{ method, path }` with the mount
 * prefixes joined and `:param` segments written the OpenAPI way (`{param}`). Middleware layers (no route) are
 * skipped; `app.post(paths, middleware)` style layers count only when they end the request (have a route).
 */
import type { Express } from "express";

export interface MountedRoute {
  method: string;
  path: string;
}

interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean>; stack?: unknown[] };
  handle?: { stack?: unknown };
}

function paths(raw: unknown): string[] {
  if (typeof raw === "string") return [raw];
  if (Array.isArray(raw)) return raw.flatMap(paths);
  return [];
}

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, "/");
  return joined.length > 1 ? joined.replace(/\/$/, "") : joined;
}

function walk(stack: unknown, prefix: string, out: MountedRoute[], depth: number): void {
  if (!Array.isArray(stack) || depth > 8) return;
  for (const item of stack as LayerLike[]) {
    if (item.route) {
      for (const path of paths(item.route.path)) {
        for (const [method, on] of Object.entries(item.route.methods)) {
          if (on && method !== "_all") out.push({ method: method.toUpperCase(), path: join(prefix, path) });
        }
      }
    } else if (item.handle && Array.isArray(item.handle.stack)) {
      const mounts = paths(item.rawPath);
      for (const mount of mounts.length > 0 ? mounts : ["/"])
        walk(item.handle.stack, join(prefix, mount), out, depth + 1);
    }
  }
}

/** The app's routes, sorted and without duplicates, `:id` written `{id}`. */
export function mountedRoutes(app: Express): MountedRoute[] {
  const out: MountedRoute[] = [];
  walk((app as unknown as { router: { stack: unknown } }).router.stack, "", out, 0);
  const unique = new Map(
    out.map((route) => {
      const path = route.path.replace(/:(\w+)/g, "{$1}");
      return [`${route.method} ${path}`, { method: route.method, path }];
    }),
  );
  return [...unique.values()].sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}
