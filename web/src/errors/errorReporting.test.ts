// @vitest-environment node
/**
 * The web app's error reporting against a local endpoint accepting Sentry envelopes: nothing is loaded without
 * a DSN; with one, an error arrives with its release and environment, scrubbed of query strings, keys, tokens,
 * the user and breadcrumbs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as Sentry from "@sentry/react";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { scrubText, startErrorReporting } from "./errorReporting.ts";

const KEY = `0x${"cd".repeat(32)}`;

describe("error reporting (Sentry) in the web app", () => {
  let server: Server;
  let dsn = "";
  const envelopes: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        if (req.method === "POST" && /^\/api\/7\/envelope\//.test(req.url ?? "")) envelopes.push(body);
        res.writeHead(200, { "access-control-allow-origin": "*" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    dsn = `http://webkey@127.0.0.1:${(server.address() as AddressInfo).port}/7`;
  });
  afterAll(async () => {
    await Sentry.close(2_000);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("loads nothing without a DSN", async () => {
    const load = vi.fn(async () => Sentry);
    expect(await startErrorReporting({}, load)).toBe(false);
    expect(load).not.toHaveBeenCalled();
  });

  it("sends an unexpected error with release and environment, and nothing it must not", async () => {
    const started = await startErrorReporting({
      VITE_SENTRY_DSN: dsn,
      VITE_SENTRY_ENVIRONMENT: "staging",
      VITE_RELEASE: "web-1.2.3",
    });
    expect(started).toBe(true);
    Sentry.setUser({ id: "0xabc", email: "alice@example.com" });
    Sentry.addBreadcrumb({ message: "clicked Claim with token=SECRET-CRUMB" });
    Sentry.captureException(new Error(`claim failed: signature ${KEY} rejected, token=abc123SECRET`), {
      extra: { notes: "knee-NOTE-2931" },
    });
    expect(await Sentry.flush(5_000)).toBe(true);
    const all = envelopes.join("\n");
    const event = JSON.parse(all.split("\n").find((line) => line.includes('"exception"')) ?? "{}");
    expect(event.release).toBe("web-1.2.3");
    expect(event.environment).toBe("staging");
    expect(event.exception.values[0].value).toBe(
      "claim failed: signature [hex-redacted] rejected, token=[redacted]",
    );
    for (const secret of [
      KEY.slice(2),
      "abc123SECRET",
      "SECRET-CRUMB",
      "alice@example.com",
      "knee-NOTE-2931",
    ]) {
      expect(all.includes(secret), secret).toBe(false);
    }
  });

  it("masks secret shapes in free text", () => {
    expect(scrubText("Bearer abc.def then ?code=123&state=xyz")).toBe(
      "Bearer [redacted] then ?code=[redacted]&state=[redacted]",
    );
  });
});
