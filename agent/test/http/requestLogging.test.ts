/**
 * Request logging (http/requestLogging.ts): `req.log` is a child logger tagged with the request's own id, made on
 * first use through an accessor on the app's request prototype; a request of an app without the middleware has
 * no `req.log`.
 */
import { once } from "node:events";
import { createServer, IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { expect } from "chai";
import express from "express";
import request from "supertest";
import { requestLogging } from "../../src/http/requestLogging.ts";
import { createLogger } from "../../src/logger.ts";

/** A logger whose lines land in `lines`, parsed. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, logger: createLogger({ level: "info", destination }) };
}

describe("requestLogging: req.log", () => {
  it("tags each request's lines with its own id, across many requests of one app", async () => {
    const { lines, logger } = capturingLogger();
    const app = express();
    app.use(requestLogging(logger));
    app.get("/note/:n", (req, res) => {
      req.log?.info({ n: req.params.n }, "a note");
      res.json({ id: req.id });
    });
    const ids: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      const res = await request(app).get(`/note/${n}`).expect(200);
      ids.push(res.body.id);
      expect(res.headers["x-request-id"]).to.equal(res.body.id);
    }
    expect(new Set(ids).size).to.equal(5);
    const notes = lines.filter((line) => line.msg === "a note");
    expect(notes.map((line) => [line.reqId, line.n])).to.deep.equal(ids.map((id, n) => [id, String(n)]));
    const completed = lines.filter((line) => line.msg === "request completed");
    expect(completed.map((line) => (line.req as { id: string }).id)).to.deep.equal(ids);
  });

  it("keeps a logger a handler assigns to req.log, for that request only", async () => {
    const { lines, logger } = capturingLogger();
    const other = capturingLogger();
    const app = express();
    app.use(requestLogging(logger));
    app.get("/own", (req, res) => {
      req.log = other.logger;
      req.log.info("to the other logger");
      res.json({ same: req.log === other.logger });
    });
    app.get("/default", (req, res) => {
      req.log?.info("to the request's child");
      res.json({ other: req.log === other.logger });
    });
    expect((await request(app).get("/own").expect(200)).body).to.deep.equal({ same: true });
    expect((await request(app).get("/default").expect(200)).body).to.deep.equal({ other: false });
    expect(other.lines.map((line) => line.msg)).to.deep.equal(["to the other logger"]);
    expect(
      lines.some((line) => line.msg === "to the request's child" && typeof line.reqId === "string"),
    ).to.equal(true);
  });

  it("gives no req.log to the requests of an app without the middleware, in the same process", async () => {
    const { logger } = capturingLogger();
    const logged = express();
    logged.use(requestLogging(logger));
    logged.get("/", (req, res) => res.json({ has: req.log !== undefined }));
    const plain = express();
    plain.get("/", (req, res) => res.json({ has: req.log !== undefined, own: Object.hasOwn(req, "log") }));
    expect((await request(logged).get("/").expect(200)).body).to.deep.equal({ has: true });
    expect((await request(plain).get("/").expect(200)).body).to.deep.equal({ has: false, own: false });
  });

  it("on a bare Node server, puts req.log on the request itself, not on Node's prototype of every request", async () => {
    const { lines, logger } = capturingLogger();
    const log = requestLogging(logger);
    const server = createServer((req, res) => {
      log(req as express.Request, res as express.Response, () => {
        req.log?.info("from a bare server");
        res.end(JSON.stringify({ own: Object.hasOwn(req, "log") }));
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(await res.json()).to.deep.equal({ own: true });
      expect(Object.hasOwn(IncomingMessage.prototype, "log")).to.equal(false);
      expect(
        lines.some((line) => line.msg === "from a bare server" && typeof line.reqId === "string"),
      ).to.equal(true);
    } finally {
      server.close();
    }
  });
});
