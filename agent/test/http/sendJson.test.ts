import type { IncomingMessage } from "node:http";
import { expect } from "chai";
import express from "express";
import request from "supertest";
import { sendJson, sendJsonBytes } from "../../src/http/sendJson.ts";

const VALUE = {
  id: "1",
  text: "Grüße, 日本語, 🏃‍♀️ and a </script>",
  list: Array.from({ length: 80 }, (_, i) => ({ i, at: "2026-11-23T00:00:00Z" })),
  none: null,
};

/** Two routes answering the same value, through `res.json` and through `sendJson`. */
function appWith(etag: boolean) {
  const app = express();
  app.set("etag", etag);
  app.set("x-powered-by", false);
  const statusOf = (req: express.Request) => Number(req.query.status ?? 200);
  app.all("/json", (req, res) => {
    res.setHeader("X-Before", "1");
    res.status(statusOf(req)).json(VALUE);
  });
  app.all("/send-json", (req, res) => {
    res.setHeader("X-Before", "1");
    sendJson(res.status(statusOf(req)), VALUE);
  });
  app.all("/send-json-bytes", (req, res) => {
    res.setHeader("X-Before", "1");
    sendJsonBytes(res.status(statusOf(req)), Buffer.from(JSON.stringify(VALUE), "utf8"));
  });
  return app;
}

/** Status, raw headers in order (the date aside) and body bytes. */
async function answer(app: express.Express, method: "get" | "head", path: string, headers = {}) {
  const res = await request(app)
    [method](path)
    .set(headers)
    .buffer(true)
    .parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on("data", (chunk: Buffer) => chunks.push(chunk));
      r.on("end", () => done(null, Buffer.concat(chunks)));
    });
  const raw = (res as unknown as { res: IncomingMessage }).res.rawHeaders;
  const pairs: string[] = [];
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]?.toLowerCase() !== "date") pairs.push(`${raw[i]}: ${raw[i + 1]}`);
  return { status: res.status, headers: pairs, body: (res.body as Buffer).toString("hex") };
}

describe("sendJson: res.json's answer, byte for byte (sendJson.ts)", () => {
  for (const etag of [false, true]) {
    for (const [method, headers, status] of [
      ["get", {}, 200],
      ["head", {}, 200],
      ["get", { "If-None-Match": "*" }, 200],
      ["get", {}, 201],
      ["get", {}, 204],
      ["get", {}, 205],
    ] as const) {
      it(`${method.toUpperCase()} ${status} ${JSON.stringify(headers)}, etag ${etag ? "on" : "off"}`, async () => {
        const app = appWith(etag);
        const query = `?status=${status}`;
        const viaJson = await answer(app, method, `/json${query}`, headers);
        expect(viaJson.status).to.equal(headers["If-None-Match" as never] === undefined ? status : 304);
        expect(viaJson.headers).to.include("X-Before: 1");
        expect(await answer(app, method, `/send-json${query}`, headers)).to.deep.equal(viaJson);
        expect(await answer(app, method, `/send-json-bytes${query}`, headers)).to.deep.equal(viaJson);
      });
    }
  }
});

describe("sendJson on a response whose send a middleware replaced (as idempotency.ts does)", () => {
  it("answers through that send, with res.json's bytes", async () => {
    const app = express();
    app.set("etag", false);
    app.set("x-powered-by", false);
    const seen: string[] = [];
    app.use((_req, res, next) => {
      const send = res.send.bind(res);
      Object.defineProperty(res, "send", {
        configurable: true,
        writable: true,
        value: (chunk: unknown) => {
          seen.push(Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk));
          return send(chunk);
        },
      });
      next();
    });
    app.get("/json", (_req, res) => {
      res.json(VALUE);
    });
    app.get("/send-json", (_req, res) => sendJson(res.status(201), VALUE));
    const viaJson = await answer(app, "get", "/json");
    seen.length = 0;
    const viaSendJson = await answer(app, "get", "/send-json");
    expect(viaSendJson.status).to.equal(201);
    expect({ ...viaSendJson, status: 200 }).to.deep.equal(viaJson);
    expect(seen).to.deep.equal([JSON.stringify(VALUE)]);
  });
});
