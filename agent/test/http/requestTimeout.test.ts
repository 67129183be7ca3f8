import { once } from "node:events";
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import express from "express";
import { requestSignal, requestTimeout } from "../../src/http/requestTimeout.ts";

describe("requestTimeout: the request's signal", () => {
  it("is aborted for a handler that asks for it only after the client left", async () => {
    let seen: { aborted: boolean; reason: unknown } | undefined;
    const app = express();
    app.use(requestTimeout(5_000));
    app.get("/slow", async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const signal = requestSignal(req); // first asked now, after the client is gone
      seen = { aborted: signal.aborted, reason: signal.reason };
      res.end();
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const client = httpRequest({ host: "127.0.0.1", port, path: "/slow" });
      client.on("error", () => {});
      client.end();
      await new Promise((resolve) => setTimeout(resolve, 30));
      client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (seen === undefined) throw new Error("the handler never ran");
      expect(seen.aborted).to.equal(true);
      expect((seen.reason as Error).message).to.equal("The client closed the connection.");
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it("stays quiet for a request answered in time", async () => {
    let signal: AbortSignal | undefined;
    const app = express();
    app.use(requestTimeout(5_000));
    app.get("/fast", (req, res) => {
      signal = requestSignal(req);
      res.json({ ok: true });
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/fast`);
      expect(res.status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(signal?.aborted).to.equal(false);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
