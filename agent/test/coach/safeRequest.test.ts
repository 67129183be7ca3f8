import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { isRefusedAddress } from "../../src/coach/calendar/refusedAddress.ts";
import { type SafeRequestPolicy, safeRequest } from "../../src/coach/calendar/safeRequest.ts";
import type { AgentError } from "../../src/errors.ts";

async function rejection(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    return error as AgentError;
  }
  return expect.fail("expected a rejection");
}

describe("coach safeRequest (SSRF guard)", () => {
  let server: Server;
  let base: string;
  let hits: string[];

  before(async () => {
    hits = [];
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (req.url === "/cal.ics") {
        res.writeHead(200, { "content-type": "text/calendar" });
        res.end("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
      } else if (req.url === "/big") {
        res.writeHead(200);
        res.end("x".repeat(5000));
      } else if (req.url === "/chunked-big") {
        res.writeHead(200, { "transfer-encoding": "chunked" });
        for (let i = 0; i < 10; i += 1) res.write("y".repeat(1000));
        res.end();
      } else if (req.url === "/slow") {
        setTimeout(() => res.end("late"), 2_000).unref();
      } else if (req.url === "/redirect-metadata") {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" });
        res.end();
      } else if (req.url === "/redirect-other-loopback") {
        res.writeHead(302, {
          location: `http://127.0.0.2:${(server.address() as AddressInfo).port}/cal.ics`,
        });
        res.end();
      } else if (req.url === "/redirect-ok") {
        res.writeHead(301, { location: "/cal.ics" });
        res.end();
      } else if (req.url === "/loop") {
        res.writeHead(302, { location: "/loop" });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Allows exactly 127.0.0.1 (the test server), so every other private address stays refused. */
  const policy: SafeRequestPolicy = {
    allowPrivate: (address) => address === "127.0.0.1",
    allowHttp: true,
    timeoutMs: 500,
    maxBytes: 2000,
    maxRedirects: 2,
  };

  it("refuses private, loopback, link-local, CGNAT, ULA and reserved addresses", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "fc00::abcd",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "64:ff9b::a9fe:a9fe",
      "2002:7f00:1::",
      "not-an-ip",
    ]) {
      expect(isRefusedAddress(address), address).to.equal(true);
    }
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isRefusedAddress(address), address).to.equal(false);
    }
  });

  it("refuses IPv6 forms that embed a refused IPv4 address, like the IPv4 address itself", () => {
    for (const address of [
      "::127.0.0.1", // IPv4-compatible; `[::127.0.0.1]` in a URL
      "::7f00:1", // the same, as the URL parser prints it
      "::10.0.0.1",
      "::169.254.169.254",
      "::ffff:0:127.0.0.1", // IPv4-translated
      "::ffff:0:a9fe:a9fe",
      "64:ff9b::127.0.0.1", // well-known NAT64
      "64:ff9b::10.1.2.3",
      "64:ff9b:1::7f00:1", // local-use NAT64, refused whole
      "64:ff9b:1:2:3::8.8.8.8",
      "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo, refused whole (client 127.0.0.1, obfuscated)
      "2001::1",
      "2002:a00:1::", // 6to4 of 10.0.0.1
      "2002:a9fe:a9fe::1",
    ]) {
      expect(isRefusedAddress(address), address).to.equal(true);
    }
    // Public IPv4 in the same forms stays allowed where the form is usable.
    for (const address of ["::ffff:0:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1", "2001:db9::1"]) {
      expect(isRefusedAddress(address), address).to.equal(false);
    }
  });

  it("refuses the bracketed URL forms before connecting", async () => {
    for (const host of [
      "[::127.0.0.1]",
      "[::ffff:0:127.0.0.1]",
      "[64:ff9b::127.0.0.1]",
      "[2002:7f00:1::1]",
    ]) {
      const error = await rejection(
        safeRequest({ url: `https://${host}/cal.ics` }, { ...policy, allowPrivate: false }),
      );
      expect(error.code, host).to.equal("url_refused");
    }
  });

  it("does not echo a connection error to the caller", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejection(safeRequest({ url: `http://127.0.0.1:${port}/cal.ics` }, policy));
    expect(error.code).to.equal("url_unreachable");
    expect(error.message).to.equal("The request failed.");
    expect(JSON.stringify(error.details)).to.not.match(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it("refuses http:// unless allowed, and https to a loopback host by default", async () => {
    const http = await rejection(safeRequest({ url: `${base}/cal.ics` }, { ...policy, allowHttp: false }));
    expect(http.code).to.equal("url_refused");
    expect(http.details.field).to.equal("url");
    const loopback = await rejection(
      safeRequest({ url: "https://127.0.0.1:1/cal.ics" }, { ...policy, allowPrivate: false }),
    );
    expect(loopback.code).to.equal("url_refused");
  });

  it("refuses a host name that resolves to a private address, without connecting", async () => {
    const before = hits.length;
    const error = await rejection(
      safeRequest(
        { url: "https://calendar.example.test/cal.ics", field: "webhookUrl" },
        {
          ...policy,
          resolve: async () => [
            { address: "93.184.216.34", family: 4 },
            { address: "10.0.0.5", family: 4 },
          ],
        },
      ),
    );
    expect(error.code).to.equal("url_refused");
    expect(error.details.field).to.equal("webhookUrl");
    expect(hits.length).to.equal(before);
  });

  it("connects to the address it checked (a resolved name is pinned)", async () => {
    const port = (server.address() as AddressInfo).port;
    const response = await safeRequest(
      { url: `http://calendar.example.test:${port}/cal.ics` },
      { ...policy, resolve: async () => [{ address: "127.0.0.1", family: 4 }] },
    );
    expect(response.status).to.equal(200);
    expect(response.body.toString()).to.contain("BEGIN:VCALENDAR");
  });

  it("follows a redirect to an allowed place, refuses one to a refused address", async () => {
    const ok = await safeRequest({ url: `${base}/redirect-ok` }, policy);
    expect(ok.status).to.equal(200);
    expect(ok.url).to.equal(`${base}/cal.ics`);
    const metadata = await rejection(safeRequest({ url: `${base}/redirect-metadata` }, policy));
    expect(metadata.code).to.equal("url_refused");
    const other = await rejection(safeRequest({ url: `${base}/redirect-other-loopback` }, policy));
    expect(other.code).to.equal("url_refused");
    const loop = await rejection(safeRequest({ url: `${base}/loop` }, policy));
    expect(loop.code).to.equal("url_refused");
    expect(loop.message).to.contain("redirects");
  });

  it("cuts off bodies over maxBytes (declared or streamed) and gives up after timeoutMs", async () => {
    expect((await rejection(safeRequest({ url: `${base}/big` }, policy))).code).to.equal(
      "response_too_large",
    );
    expect((await rejection(safeRequest({ url: `${base}/chunked-big` }, policy))).code).to.equal(
      "response_too_large",
    );
    const slow = await rejection(safeRequest({ url: `${base}/slow` }, { ...policy, timeoutMs: 200 }));
    expect(slow.code).to.equal("url_unreachable");
  });

  it("refuses URLs with credentials and malformed URLs", async () => {
    expect((await rejection(safeRequest({ url: "https://u:p@example.com/" }, policy))).code).to.equal(
      "url_refused",
    );
    expect((await rejection(safeRequest({ url: "not a url" }, policy))).code).to.equal("url_refused");
    expect((await rejection(safeRequest({ url: "file:///etc/passwd" }, policy))).code).to.equal(
      "url_refused",
    );
  });
});
