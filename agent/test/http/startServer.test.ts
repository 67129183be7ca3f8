import { expect } from "chai";
import { startServer } from "../../src/http/startServer.ts";
import { buildTestApp } from "./testApp.ts";

describe("startServer", () => {
  it("listens, answers, sets the server timeouts and closes gracefully", async () => {
    const { app, config, logger, logs } = buildTestApp({ env: { REQUEST_TIMEOUT_MS: "2000" } });
    const started = await startServer({ app, config, logger, port: 0 });
    try {
      expect(started.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.server.requestTimeout).to.equal(7_000);
      // Headers must arrive within the request deadline (Node requires headersTimeout <= requestTimeout).
      expect(started.server.headersTimeout).to.equal(7_000);
      const res = await fetch(`${started.url}/health`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ status: "ok" });
      expect(logs.some((line) => line.msg === "agent listening" && line.url === started.url)).to.equal(true);
    } finally {
      await started.close(1_000);
    }
    expect(started.server.listening).to.equal(false);
  });
});
