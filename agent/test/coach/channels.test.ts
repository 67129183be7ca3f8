import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { SMTPServer } from "smtp-server";
import { backoffDelay, retryWithBackoff } from "../../src/coach/channels/retryWithBackoff.ts";
import { createEmailChannel, smtpTransport } from "../../src/coach/channels/emailChannel.ts";
import {
  createWebhookChannel,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
} from "../../src/coach/channels/webhookChannel.ts";
import { DEFAULT_COACH_PREFERENCES, type EffectivePreferences } from "../../src/coach/coachPreferences.ts";
import { ManualClock } from "../../src/clock.ts";
import { START } from "./coachFixtures.ts";

const delivery = {
  nudgeId: "6a1f2c9e-0000-4000-8000-000000000001",
  owner: "0x00000000000000000000000000000000000000aa",
  reason: "behind_pace",
  message: "25 USDC at stake, 20 h left: 2 more workouts to go.",
  createdAt: new Date(START),
};

function prefs(overrides: Partial<EffectivePreferences>): EffectivePreferences {
  return { ...DEFAULT_COACH_PREFERENCES, ...overrides };
}

describe("coach channels", () => {
  describe("retryWithBackoff", () => {
    it("backs off exponentially with jitter in [d/2, d], capped", () => {
      const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 500 };
      expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).to.deep.equal([50, 100, 200, 250]);
      expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1))).to.deep.equal([100, 200, 400, 500]);
    });

    it("stops at the first non-retryable error and after the last attempt", async () => {
      const slept: number[] = [];
      let tries = 0;
      const gaveUp = await retryWithBackoff({
        policy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
        task: async () => {
          tries += 1;
          throw new Error("down");
        },
        sleep: async (ms) => {
          slept.push(ms);
        },
        random: () => 0.5,
      });
      expect(gaveUp).to.deep.include({ ok: false, attempts: 3 });
      expect(tries).to.equal(3);
      expect(slept).to.deep.equal([8, 15]);
      const permanent = await retryWithBackoff({
        policy: { attempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
        task: async () => {
          throw new Error("no");
        },
        isRetryable: () => false,
        sleep: async () => {},
      });
      expect(permanent.attempts).to.equal(1);
    });
  });

  describe("email (nodemailer → real SMTP server on loopback)", () => {
    let smtp: SMTPServer;
    let port: number;
    const received: { to: string[]; data: string }[] = [];

    before(async () => {
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS"],
        logger: false,
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => {
            received.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              data: Buffer.concat(chunks).toString("utf8"),
            });
            callback();
          });
        },
      });
      smtp.listen(0, "127.0.0.1");
      await once(smtp.server, "listening");
      port = (smtp.server.address() as AddressInfo).port;
    });

    after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

    it("delivers the nudge as a plain-text mail to the saved address", async () => {
      const channel = createEmailChannel({
        transport: `smtp://127.0.0.1:${port}`,
        from: "Coach <coach@test.local>",
      });
      const result = await channel.deliver(
        delivery,
        prefs({ email: "alice@example.com", channels: ["inApp", "email"] }),
      );
      expect(result).to.deep.equal({ ok: true, attempts: 1 });
      expect(received).to.have.length(1);
      expect(received[0]?.to).to.deep.equal(["alice@example.com"]);
      expect(received[0]?.data).to.contain(delivery.message);
      expect(received[0]?.data.toLowerCase()).to.contain(`x-nudge-id: ${delivery.nudgeId}`);
    });

    it("is unavailable without an address and reports an unreachable server as a failure", async () => {
      const channel = createEmailChannel({
        transport: smtpTransport("smtp://127.0.0.1:1"),
        from: "c@test.local",
      });
      expect(channel.unavailableReason(prefs({ email: null }))).to.equal("no email address saved");
      const result = await channel.deliver(delivery, prefs({ email: "a@example.com" }));
      expect(result.ok).to.equal(false);
      expect(result.attempts).to.equal(1);
    });
  });

  describe("webhook (signed, retried, real loopback HTTP server)", () => {
    let server: Server;
    let base: string;
    let answers: number[];
    const requests: { headers: IncomingMessage["headers"]; body: string }[] = [];

    before(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
          res.writeHead(answers.shift() ?? 204);
          res.end();
        });
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
      requests.length = 0;
    });

    const clock = new ManualClock(START);
    const slept: number[] = [];
    const channel = createWebhookChannel({
      secret: "test-secret",
      clock,
      policy: { allowPrivate: true, allowHttp: true, timeoutMs: 1_000, maxBytes: 10_000, maxRedirects: 3 },
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
      sleep: async (ms) => {
        slept.push(ms);
      },
      random: () => 0.5,
    });

    it("POSTs the nudge with a verifiable HMAC-SHA256 signature", async () => {
      answers = [204];
      const result = await channel.deliver(delivery, prefs({ webhookUrl: `${base}/hook` }));
      expect(result).to.deep.equal({ ok: true, attempts: 1 });
      const [request] = requests;
      const timestamp = Number(request?.headers[TIMESTAMP_HEADER]);
      expect(timestamp).to.equal(START / 1000);
      expect(request?.headers[SIGNATURE_HEADER]).to.equal(
        signWebhook("test-secret", timestamp, request?.body ?? ""),
      );
      expect(request?.headers[SIGNATURE_HEADER]).to.match(/^sha256=[0-9a-f]{64}$/);
      expect(JSON.parse(request?.body ?? "{}")).to.deep.equal({
        id: delivery.nudgeId,
        owner: delivery.owner,
        reason: delivery.reason,
        message: delivery.message,
        createdAt: delivery.createdAt.toISOString(),
      });
    });

    it("retries 5xx and 429 with growing backoff, then succeeds", async () => {
      answers = [503, 429, 200];
      slept.length = 0;
      const result = await channel.deliver(delivery, prefs({ webhookUrl: `${base}/hook` }));
      expect(result).to.deep.equal({ ok: true, attempts: 3 });
      expect(requests).to.have.length(3);
      expect(slept).to.deep.equal([75, 150]);
    });

    it("gives up after the last attempt and reports why", async () => {
      answers = [500, 500, 500, 500];
      const result = await channel.deliver(delivery, prefs({ webhookUrl: `${base}/hook` }));
      expect(result).to.deep.equal({ ok: false, attempts: 4, error: "webhook answered 500" });
      expect(requests).to.have.length(4);
    });

    it("does not retry a 4xx answer", async () => {
      answers = [410];
      const result = await channel.deliver(delivery, prefs({ webhookUrl: `${base}/hook` }));
      expect(result).to.deep.equal({ ok: false, attempts: 1, error: "webhook answered 410" });
    });

    it("refuses a private webhook URL when private hosts are not allowed, without retrying", async () => {
      const strict = createWebhookChannel({
        secret: "s",
        clock,
        policy: { allowPrivate: false, allowHttp: true, timeoutMs: 1_000, maxBytes: 10_000, maxRedirects: 3 },
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 1 },
        sleep: async () => {},
      });
      const result = await strict.deliver(delivery, prefs({ webhookUrl: `${base}/hook` }));
      expect(result.ok).to.equal(false);
      expect(result.attempts).to.equal(1);
      expect(requests).to.have.length(0);
    });
  });
});
