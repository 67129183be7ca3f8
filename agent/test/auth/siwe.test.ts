import { createHash } from "node:crypto";
import { expect } from "chai";
import { Router } from "express";
import request from "supertest";
import type { Hex } from "viem";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { type CreateSiweMessageParameters, createSiweMessage } from "viem/siwe";
import { requireSession, sessionOf } from "../../src/auth/session.ts";
import type { SessionStore } from "../../src/auth/stores.ts";
import { DependencyError } from "../../src/errors.ts";
import { buildTestApp, JSON_TYPE, PROBLEM_JSON, START, type TestApp, typeOf } from "../http/testApp.ts";

const COOKIE =
  /^ra_session=([A-Za-z0-9_-]{43}); Max-Age=86400; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/;

interface NonceAnswer {
  nonce: string;
  domain: string;
  uri: string;
  chainId: number;
}

async function getNonce(t: TestApp): Promise<NonceAnswer> {
  const res = await request(t.app).post("/api/auth/nonce");
  expect(res.status).to.equal(200);
  return res.body as NonceAnswer;
}

async function signedMessage(
  t: TestApp,
  account: PrivateKeyAccount,
  overrides: Partial<CreateSiweMessageParameters> = {},
  nonceAnswer?: NonceAnswer,
): Promise<{ message: string; signature: Hex }> {
  const { nonce, domain, uri, chainId } = nonceAnswer ?? (await getNonce(t));
  const message = createSiweMessage({
    address: account.address,
    chainId,
    domain,
    nonce,
    uri,
    version: "1",
    statement: "Sign in to Resolution Autopilot.",
    issuedAt: new Date(t.clock.now()),
    ...overrides,
  });
  return { message, signature: await account.signMessage({ message }) };
}

function verify(t: TestApp, body: unknown) {
  return request(t.app)
    .post("/api/auth/verify")
    .send(body as object);
}

function tokenOf(setCookie: string[] | string | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  const match = COOKIE.exec(header ?? "");
  if (match?.[1] === undefined) throw new Error(`unexpected Set-Cookie: ${String(header)}`);
  return match[1];
}

async function signIn(t: TestApp, account: PrivateKeyAccount): Promise<string> {
  const res = await verify(t, await signedMessage(t, account));
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return tokenOf(res.headers["set-cookie"]);
}

function expectUnauthorized(res: request.Response, code: string, field: string, detail: string, extra = {}) {
  expect(res.status).to.equal(401);
  expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
  expect(res.body).to.deep.equal({
    type: typeOf(code),
    title: "Unauthorized",
    status: 401,
    detail,
    code,
    field,
    ...extra,
    instance: "/api/auth/verify",
    requestId: res.headers["x-request-id"],
  });
}

describe("Sign-In with Ethereum", () => {
  let t: TestApp;
  let alice: PrivateKeyAccount;
  let mallory: PrivateKeyAccount;

  beforeEach(() => {
    t = buildTestApp();
    alice = privateKeyToAccount(generatePrivateKey());
    mallory = privateKeyToAccount(generatePrivateKey());
  });

  describe("POST /api/auth/nonce", () => {
    it("returns a fresh nonce and the exact values the agent checks", async () => {
      const res = await request(t.app).post("/api/auth/nonce");
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.equal(JSON_TYPE);
      expect(res.headers["cache-control"]).to.equal("no-store");
      expect(Object.keys(res.body)).to.deep.equal(["nonce", "domain", "uri", "chainId"]);
      expect(res.body.nonce).to.match(/^[A-Za-z0-9]{32,}$/);
      expect(res.body.domain).to.equal("127.0.0.1:5173");
      expect(res.body.uri).to.equal("http://127.0.0.1:5173");
      expect(res.body.chainId).to.equal(31337);
      const again = await request(t.app).post("/api/auth/nonce");
      expect(again.body.nonce).not.to.equal(res.body.nonce);
    });

    it("returns the configured SIWE values", async () => {
      const custom = buildTestApp({
        env: { SIWE_DOMAIN: "app.example.com", SIWE_URI: "https://app.example.com/login", CHAIN_ID: "8453" },
      });
      const { nonce: _nonce, ...rest } = (await request(custom.app).post("/api/auth/nonce")).body;
      expect(rest).to.deep.equal({
        domain: "app.example.com",
        uri: "https://app.example.com/login",
        chainId: 8453,
      });
    });
  });

  describe("POST /api/auth/verify", () => {
    it("signs in with a valid message: 200 { address } and an HttpOnly SameSite session cookie", async () => {
      const res = await verify(t, await signedMessage(t, alice));
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.equal(JSON_TYPE);
      expect(res.headers["cache-control"]).to.equal("no-store");
      expect(res.body).to.deep.equal({ address: alice.address });
      const token = tokenOf(res.headers["set-cookie"]);
      // The store holds the token's hash, never the token.
      const id = createHash("sha256").update(token).digest("hex");
      const stored = await t.sessions.get(id);
      expect(stored).to.deep.equal({
        id,
        address: alice.address,
        chainId: 31337,
        createdAt: new Date(START),
        expiresAt: new Date(START + 86_400_000),
      });
      expect(await t.sessions.get(token)).to.equal(null);
    });

    it("accepts a lowercase address and answers with the checksummed one", async () => {
      const { nonce, domain, uri, chainId } = await getNonce(t);
      const message = createSiweMessage({
        address: alice.address,
        chainId,
        domain,
        nonce,
        uri,
        version: "1",
        issuedAt: new Date(t.clock.now()),
      }).replace(alice.address, alice.address.toLowerCase());
      const res = await verify(t, { message, signature: await alice.signMessage({ message }) });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ address: alice.address });
    });

    it("sets Secure when the agent is served over https (directly or behind a trusted proxy)", async () => {
      const direct = buildTestApp({ env: { AGENT_PUBLIC_URL: "https://127.0.0.1:8787" } });
      let res = await verify(direct, await signedMessage(direct, alice));
      // https agent, http web app: another site under schemeful same-site, hence Lax.
      expect(res.headers["set-cookie"]?.[0]).to.match(/; HttpOnly; Secure; SameSite=Lax$/);

      const proxied = buildTestApp({ env: { TRUST_PROXY: "1" } });
      res = await verify(proxied, await signedMessage(proxied, alice)).set("X-Forwarded-Proto", "https");
      expect(res.headers["set-cookie"]?.[0]).to.match(/; HttpOnly; Secure; SameSite=Strict$/);

      const untrusted = buildTestApp({ env: { TRUST_PROXY: "0" } });
      res = await verify(untrusted, await signedMessage(untrusted, alice)).set("X-Forwarded-Proto", "https");
      expect(res.headers["set-cookie"]?.[0]).to.match(COOKIE);
    });

    it("uses SameSite=Lax when the web app is on another site", async () => {
      const cross = buildTestApp({
        env: { PUBLIC_ORIGIN: "https://app.example.com", AGENT_PUBLIC_URL: "https://agent.example.org" },
      });
      const res = await verify(cross, await signedMessage(cross, alice));
      expect(res.status).to.equal(200);
      expect(res.headers["set-cookie"]?.[0]).to.match(/; HttpOnly; Secure; SameSite=Lax$/);
    });

    it("rejects a replayed nonce", async () => {
      const signed = await signedMessage(t, alice);
      expect((await verify(t, signed)).status).to.equal(200);
      const replay = await verify(t, signed);
      expectUnauthorized(
        replay,
        "siwe_nonce_invalid",
        "message.nonce",
        "The nonce is unknown, already used or expired.",
      );
      expect(replay.headers["set-cookie"]).to.equal(undefined);
    });

    it("lets only one of two concurrent verifications of one nonce through", async () => {
      const signed = await signedMessage(t, alice);
      const results = await Promise.all([verify(t, signed), verify(t, signed), verify(t, signed)]);
      expect(results.map((r) => r.status).sort()).to.deep.equal([200, 401, 401]);
    });

    it("rejects a nonce the agent never issued", async () => {
      const signed = await signedMessage(
        t,
        alice,
        {},
        {
          nonce: "abcdefgh12345678",
          domain: "127.0.0.1:5173",
          uri: "http://127.0.0.1:5173",
          chainId: 31337,
        },
      );
      expectUnauthorized(
        await verify(t, signed),
        "siwe_nonce_invalid",
        "message.nonce",
        "The nonce is unknown, already used or expired.",
      );
    });

    it("rejects a nonce once its TTL has passed on the injected clock", async () => {
      const first = await getNonce(t);
      const second = await getNonce(t);
      t.clock.advance(600_000 - 1);
      expect((await verify(t, await signedMessage(t, alice, {}, first))).status).to.equal(200);
      t.clock.advance(1);
      expectUnauthorized(
        await verify(t, await signedMessage(t, alice, {}, second)),
        "siwe_nonce_invalid",
        "message.nonce",
        "The nonce is unknown, already used or expired.",
      );
    });

    it("rejects a message for another domain (and keeps the nonce for a correct message)", async () => {
      const answer = await getNonce(t);
      const res = await verify(t, await signedMessage(t, alice, { domain: "evil.example.com" }, answer));
      expectUnauthorized(
        res,
        "siwe_domain_mismatch",
        "message.domain",
        "The message is for another domain.",
        {
          expected: "127.0.0.1:5173",
        },
      );
      expect((await verify(t, await signedMessage(t, alice, {}, answer))).status).to.equal(200);
    });

    it("rejects a message for another URI", async () => {
      const res = await verify(t, await signedMessage(t, alice, { uri: "https://evil.example.com" }));
      expectUnauthorized(res, "siwe_uri_mismatch", "message.uri", "The message is for another URI.", {
        expected: "http://127.0.0.1:5173",
      });
    });

    it("treats a trailing slash on the URI as the same URI", async () => {
      const res = await verify(t, await signedMessage(t, alice, { uri: "http://127.0.0.1:5173/" }));
      expect(res.status).to.equal(200);
    });

    it("rejects a message for another chain", async () => {
      const res = await verify(t, await signedMessage(t, alice, { chainId: 1 }));
      expectUnauthorized(res, "siwe_chain_mismatch", "message.chainId", "The message is for another chain.", {
        expected: 31337,
      });
    });

    it("rejects a message for another scheme", async () => {
      const res = await verify(t, await signedMessage(t, alice, { scheme: "https" }));
      expectUnauthorized(res, "siwe_scheme_mismatch", "message.scheme", "The message is for another scheme.");
    });

    it("checks expirationTime, notBefore and issuedAt against the injected clock", async () => {
      const now = t.clock.now();
      expectUnauthorized(
        await verify(t, await signedMessage(t, alice, { expirationTime: new Date(now) })),
        "siwe_expired",
        "message.expirationTime",
        "The message has expired.",
      );
      expectUnauthorized(
        await verify(t, await signedMessage(t, alice, { notBefore: new Date(now + 1) })),
        "siwe_not_yet_valid",
        "message.notBefore",
        "The message is not valid yet.",
      );
      expectUnauthorized(
        await verify(t, await signedMessage(t, alice, { issuedAt: new Date(now + 60_001) })),
        "siwe_issued_in_future",
        "message.issuedAt",
        "The message is issued in the future.",
      );
      const ok = await verify(
        t,
        await signedMessage(t, alice, {
          issuedAt: new Date(now + 60_000),
          notBefore: new Date(now),
          expirationTime: new Date(now + 1),
        }),
      );
      expect(ok.status).to.equal(200);
    });

    it("rejects a signature by another key, and the nonce is spent", async () => {
      const answer = await getNonce(t);
      const { message } = await signedMessage(t, alice, {}, answer);
      const forged = await mallory.signMessage({ message });
      expectUnauthorized(
        await verify(t, { message, signature: forged }),
        "siwe_bad_signature",
        "signature",
        "The signature does not match the message's address.",
      );
      const { signature } = await signedMessage(t, alice, {}, answer);
      expectUnauthorized(
        await verify(t, { message, signature }),
        "siwe_nonce_invalid",
        "message.nonce",
        "The nonce is unknown, already used or expired.",
      );
    });

    it("rejects a signature over a different message", async () => {
      const { message } = await signedMessage(t, alice);
      const signature = await alice.signMessage({ message: `${message}\n` });
      expect((await verify(t, { message, signature })).body.code).to.equal("siwe_bad_signature");
    });

    it("rejects an unparseable signature of the right length as a bad signature", async () => {
      const { message } = await signedMessage(t, alice);
      const res = await verify(t, { message, signature: `0x${"00".repeat(65)}` });
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("siwe_bad_signature");
    });

    const MALFORMED: [string, unknown, string, string][] = [
      ["a missing signature", { message: "m" }, "signature", "is required"],
      ["a missing message", { signature: `0x${"11".repeat(65)}` }, "message", "is required"],
      [
        "a message of the wrong type",
        { message: 42, signature: `0x${"11".repeat(65)}` },
        "message",
        "Invalid input: expected string, received number",
      ],
      [
        "a signature that is not hex",
        { message: "m", signature: "0xzz" },
        "signature",
        "must be 0x-prefixed hex bytes",
      ],
      [
        "a signature of an odd number of hex digits",
        { message: "m", signature: "0x123" },
        "signature",
        "must be 0x-prefixed hex bytes",
      ],
      [
        "a signature longer than 8 KiB",
        { message: "m", signature: `0x${"11".repeat(8193)}` },
        "signature",
        "must be at most 8192 bytes",
      ],
      [
        "an extra field",
        { message: "m", signature: `0x${"11".repeat(65)}`, address: "0x1" },
        "address",
        "is not allowed",
      ],
      [
        "an empty message",
        { message: "", signature: `0x${"11".repeat(65)}` },
        "message",
        "Too small: expected string to have >=1 characters",
      ],
    ];
    for (const [label, body, field, message] of MALFORMED) {
      it(`answers ${label} with 400 naming the field`, async () => {
        const res = await verify(t, body);
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal("invalid_request");
        expect(res.body.field).to.equal(field);
        expect(res.body.detail).to.equal(`${field}: ${message}`);
      });
    }

    it("answers a text that is not an EIP-4361 message with 400 invalid_siwe_message", async () => {
      const res = await verify(t, { message: "hello", signature: `0x${"11".repeat(65)}` });
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({
        type: typeOf("invalid_siwe_message"),
        title: "Bad Request",
        status: 400,
        detail: "message: is not an EIP-4361 message (no domain)",
        code: "invalid_siwe_message",
        field: "message",
        instance: "/api/auth/verify",
        requestId: res.headers["x-request-id"],
      });
    });

    it("answers a message with a bad version or date with 400 naming it", async () => {
      const { message } = await signedMessage(t, alice);
      const badVersion = message.replace("Version: 1", "Version: 2");
      let res = await verify(t, {
        message: badVersion,
        signature: await alice.signMessage({ message: badVersion }),
      });
      expect(res.status).to.equal(400);
      expect(res.body.field).to.equal("message.version");
      const badDate = message.replace(/Issued At: .+/, "Issued At: yesterday");
      res = await verify(t, { message: badDate, signature: await alice.signMessage({ message: badDate }) });
      expect(res.status).to.equal(400);
      expect(res.body.field).to.equal("message.issuedAt");
      expect(res.body.detail).to.equal("message.issuedAt: must be an RFC 3339 date-time");
    });

    it("answers a body that is not JSON with 415", async () => {
      const res = await request(t.app).post("/api/auth/verify").set("Content-Type", "text/plain").send("hi");
      expect(res.status).to.equal(415);
    });
  });

  describe("sessions", () => {
    it("GET /api/auth/session returns the signed-in address", async () => {
      const token = await signIn(t, alice);
      const res = await request(t.app).get("/api/auth/session").set("Cookie", `ra_session=${token}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        address: alice.address,
        chainId: 31337,
        expiresAt: new Date(START + 86_400_000).toISOString(),
      });
    });

    it("GET /api/auth/session answers 200 null without a cookie, or with an unknown or malformed one", async () => {
      for (const cookie of [undefined, `ra_session=${"A".repeat(43)}`, "ra_session=short", "other=1"]) {
        const req = request(t.app).get("/api/auth/session");
        const res = await (cookie === undefined ? req : req.set("Cookie", cookie));
        expect(res.status).to.equal(200);
        expect(res.headers["content-type"]).to.equal(JSON_TYPE);
        expect(res.headers["cache-control"]).to.equal("no-store");
        expect(res.text).to.equal("null");
      }
    });

    it("expires the session after its TTL on the injected clock", async () => {
      const token = await signIn(t, alice);
      t.clock.advance(86_400_000 - 1);
      expect(
        (await request(t.app).get("/api/auth/session").set("Cookie", `ra_session=${token}`)).body,
      ).to.include({ address: alice.address });
      t.clock.advance(1);
      expect(
        (await request(t.app).get("/api/auth/session").set("Cookie", `ra_session=${token}`)).body,
      ).to.equal(null);
    });

    it("never outlives the message's Expiration Time: session and cookie end with it", async () => {
      const res = await verify(
        t,
        await signedMessage(t, alice, { expirationTime: new Date(START + 15 * 60_000) }),
      );
      expect(res.status).to.equal(200);
      const header = String(res.headers["set-cookie"]?.[0]);
      expect(header).to.match(/^ra_session=[A-Za-z0-9_-]{43}; Max-Age=900; Path=\/; /);
      const token = /^ra_session=([^;]+);/.exec(header)?.[1];
      const session = () => request(t.app).get("/api/auth/session").set("Cookie", `ra_session=${token}`);
      expect((await session()).body).to.deep.equal({
        address: alice.address,
        chainId: 31337,
        expiresAt: new Date(START + 900_000).toISOString(),
      });
      t.clock.advance(900_000 - 1);
      expect((await session()).body).to.include({ address: alice.address });
      t.clock.advance(1);
      expect((await session()).body).to.equal(null);
    });

    it("keeps the configured TTL when the message expires later than that", async () => {
      const res = await verify(
        t,
        await signedMessage(t, alice, { expirationTime: new Date(START + 7 * 86_400_000) }),
      );
      expect(tokenOf(res.headers["set-cookie"])).to.have.length(43);
    });

    it("logout deletes the session and clears the cookie; the old cookie no longer works", async () => {
      const token = await signIn(t, alice);
      const res = await request(t.app).post("/api/auth/logout").set("Cookie", `ra_session=${token}`);
      expect(res.status).to.equal(204);
      expect(res.headers["set-cookie"]).to.deep.equal([
        "ra_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict",
      ]);
      const id = createHash("sha256").update(token).digest("hex");
      expect(await t.sessions.get(id)).to.equal(null);
      expect(
        (await request(t.app).get("/api/auth/session").set("Cookie", `ra_session=${token}`)).body,
      ).to.equal(null);
    });

    it("logout without a session answers 204 too", async () => {
      expect((await request(t.app).post("/api/auth/logout")).status).to.equal(204);
    });

    it("a new sign-in mints a new token and retires the session the browser held", async () => {
      const first = await signIn(t, alice);
      const res = await verify(t, await signedMessage(t, alice)).set("Cookie", `ra_session=${first}`);
      const second = tokenOf(res.headers["set-cookie"]);
      expect(second).not.to.equal(first);
      expect(
        (await request(t.app).get("/api/auth/session").set("Cookie", `ra_session=${first}`)).body,
      ).to.equal(null);
      expect(
        (await request(t.app).get("/api/auth/session").set("Cookie", `ra_session=${second}`)).status,
      ).to.equal(200);
    });

    it("requireSession and sessionOf protect injected routers", async () => {
      const router = Router();
      router.get("/me", requireSession, (req, res) => {
        res.json({ address: sessionOf(req).address });
      });
      const app = buildTestApp({ routes: [{ path: "/private", router }] });
      expect((await request(app.app).get("/api/private/me")).status).to.equal(401);
      const token = await signIn(app, alice);
      const res = await request(app.app).get("/api/private/me").set("Cookie", `ra_session=${token}`);
      expect(res.body).to.deep.equal({ address: alice.address });
    });

    it("when the session store fails, anonymous routes still work and signed-in routes answer 503", async () => {
      const failing: SessionStore = {
        create: () => Promise.reject(new Error("unused")),
        get: () =>
          Promise.reject(
            new DependencyError({
              code: "redis_unavailable",
              message: "Redis failed during session lookup.",
            }),
          ),
        delete: async () => false,
      };
      const broken = buildTestApp({ sessions: failing });
      const cookie = `ra_session=${"A".repeat(43)}`;
      const anonymous = await request(broken.app).post("/api/rules").set("Cookie", cookie).send({});
      expect(anonymous.status).to.equal(400);
      const res = await request(broken.app).get("/api/auth/session").set("Cookie", cookie);
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal("redis_unavailable");
    });
  });
});
