import { once } from "node:events";
import { Socket } from "node:net";
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

  describe("requests Node's parser refuses", () => {
    let started: Awaited<ReturnType<typeof startServer>>;
    before(async () => {
      const { app, config, logger } = buildTestApp({ env: { REQUEST_TIMEOUT_MS: "2000" } });
      started = await startServer({ app, config, logger, port: 0 });
    });
    after(async () => {
      await started?.close(1_000);
    });

    /** Sends `raw` on a new connection and reads until the server closes it. */
    const exchange = async (raw: string) => {
      const socket = new Socket();
      socket.connect(Number(new URL(started.url).port), "127.0.0.1");
      await once(socket, "connect");
      let answer = "";
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString("latin1");
      });
      socket.on("error", () => {});
      socket.write(raw);
      await once(socket, "close");
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      return { statusLine: head.split("\r\n")[0], head, body };
    };

    const cases: [name: string, raw: string, status: number, code: string, field: string | undefined][] = [
      ["an unknown method", "FOO /health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_method", undefined],
      [
        "a control character in a header",
        "GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n",
        400,
        "invalid_header",
        "(headers)",
      ],
      [
        "a Content-Length that is no number",
        "POST /api/rules HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        400,
        "invalid_content_length",
        "content-length",
      ],
      [
        "Transfer-Encoding beside Content-Length",
        "POST /api/rules HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
        "invalid_transfer_encoding",
        "transfer-encoding",
      ],
      [
        "headers over the size limit",
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`,
        431,
        "headers_too_large",
        "(headers)",
      ],
      [
        "a space in the path",
        "GET /api/commitments/ 1 HTTP/1.1\r\nHost: x\r\n\r\n",
        400,
        "malformed_request",
        undefined,
      ],
    ];
    it("closes the connection after the answer even when the client keeps its side open", async () => {
      const socket = new Socket({ allowHalfOpen: true });
      socket.connect(Number(new URL(started.url).port), "127.0.0.1");
      await once(socket, "connect");
      socket.on("data", () => {});
      socket.write("FOO /health HTTP/1.1\r\nHost: x\r\n\r\n");
      await once(socket, "end");
      // The server's side is gone, not just half-closed: its connection count drops to zero.
      let open = 1;
      for (let i = 0; i < 50 && open > 0; i++) {
        open = await new Promise<number>((resolve, reject) =>
          started.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
        );
        if (open > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      socket.destroy();
      expect(open).to.equal(0);
    });

    for (const [name, raw, status, code, field] of cases) {
      it(`answers ${name} with ${status} ${code} as a problem document`, async () => {
        const { statusLine, head, body } = await exchange(raw);
        expect(statusLine).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(head).to.contain("Content-Type: application/problem+json");
        expect(head).to.contain("Connection: close");
        const problem = JSON.parse(body) as Record<string, unknown>;
        expect(problem).to.include({ status, code });
        expect(problem.field).to.equal(field);
        expect(problem.type).to.equal(`urn:resolution-autopilot:problem:${code}`);
      });
    }
  });
});
