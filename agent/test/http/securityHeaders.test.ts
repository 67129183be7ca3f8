import type { IncomingMessage } from "node:http";
import { expect } from "chai";
import express, { type RequestHandler } from "express";
import helmet from "helmet";
import request from "supertest";
import { securityHeaders } from "../../src/http/securityHeaders.ts";

/** What securityHeaders was before it set its headers itself: helmet with these options, HSTS on HTTPS. */
function viaHelmet(): RequestHandler {
  const helmetHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: "same-site" },
    frameguard: { action: "deny" },
    xContentTypeOptions: true,
    xPoweredBy: true,
    crossOriginOpenerPolicy: false,
    referrerPolicy: false,
    strictTransportSecurity: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  return (req, res, next) => {
    if (req.secure) res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    helmetHeaders(req, res, next);
  };
}

/** The raw response headers, in order, the date aside. */
async function headersOf(middleware: RequestHandler, https: boolean): Promise<string[]> {
  const app = express();
  app.set("trust proxy", true);
  app.use((_req, res, next) => {
    res.setHeader("X-Powered-By", "Express");
    next();
  });
  app.use(middleware);
  app.get("/", (_req, res) => {
    res.json({ ok: true });
  });
  const res = await request(app)
    .get("/")
    .set(https ? { "X-Forwarded-Proto": "https" } : {});
  const raw = (res as unknown as { res: IncomingMessage }).res.rawHeaders;
  const pairs: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i] !== "Date") pairs.push(`${raw[i]}: ${raw[i + 1]}`);
  return pairs;
}

describe("securityHeaders (securityHeaders.ts)", () => {
  for (const https of [false, true]) {
    it(`sends helmet's headers, names, values and order, over ${https ? "HTTPS (with HSTS)" : "HTTP"}`, async () => {
      const expected = await headersOf(viaHelmet(), https);
      expect(expected).to.include("X-Frame-Options: DENY");
      expect(expected.some((line) => line.startsWith("X-Powered-By"))).to.equal(false);
      expect(await headersOf(securityHeaders(), https)).to.deep.equal(expected);
    });
  }
});
