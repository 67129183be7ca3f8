/**
 * The Strava routes end to end, against the local fake Strava server: the subscription handshake, the OAuth
 * connect/callback flow with its state checks, unlinking, and webhook events processed through the bounded
 * queue into the sink (fetching with the stored tokens, refreshing them when they expire). Tokens never appear
 * in a response body or a log line.
 */
import { expect } from "chai";
import request, { type Response } from "supertest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { ProviderActivity } from "../../src/providers/providerActivitySink.ts";
import { createTokenCipher } from "../../src/providers/tokenCipher.ts";
import { JSON_TYPE, PROBLEM_JSON } from "../http/testApp.ts";
import { signIn } from "../http/signIn.ts";
import { runActivity } from "../support/fakeStrava.ts";
import {
  createStravaHarness,
  linkAccount,
  type StravaHarness,
  storeSink,
  SUBSCRIPTION_ID,
  TOKEN_KEY,
  VERIFY_TOKEN,
  WEB_REDIRECT_URL,
  webhookEvent,
} from "./stravaHarness.ts";

const BASE = "/api/providers/strava";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let nextAthlete = 1000;
let nextActivity = 9_000_000_000;

function newWallet() {
  return privateKeyToAccount(generatePrivateKey());
}

function cookieFrom(res: Response, name: string): string {
  const header = res.headers["set-cookie"] as unknown as string[] | string | undefined;
  const cookies = Array.isArray(header) ? header : header === undefined ? [] : [header];
  const cookie = cookies.find((c) => c.startsWith(`${name}=`));
  if (cookie === undefined) throw new Error(`no ${name} cookie`);
  return cookie.split(";")[0] as string;
}

function expectProblem(res: Response, status: number, code: string, field?: string) {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers["content-type"]).to.equal(PROBLEM_JSON);
  expect(res.body.code).to.equal(code);
  if (field !== undefined) expect(res.body.field).to.equal(field);
}

/** Every response body and log line so far, as text, to check no token ever leaves the server. */
function assertNoTokenLeaks(harness: StravaHarness, bodies: string[]) {
  const logs = JSON.stringify(harness.testApp.logs);
  const secrets = [...harness.fake.issuedTokens, harness.fake.clientSecret];
  for (const secret of secrets) {
    expect(logs, "log lines").not.to.include(secret);
    for (const body of bodies) expect(body, "response body").not.to.include(secret);
  }
}

describe("Strava routes", () => {
  let harness: StravaHarness;
  const bodies: string[] = [];
  const remember = (res: Response) => {
    bodies.push(res.text ?? "", JSON.stringify(res.headers));
    return res;
  };
  const app = () => harness.testApp.app;

  before(async () => {
    harness = await createStravaHarness({ sink: (store, clock) => storeSink(store, clock) });
  });

  after(async () => {
    // The leak checks after each test looked for real tokens: many were issued and used.
    expect(harness.fake.issuedTokens.length).to.be.greaterThan(20);
    await harness.close();
  });

  afterEach(() => {
    assertNoTokenLeaks(harness, bodies);
  });

  describe("GET /webhook (subscription validation)", () => {
    it("echoes hub.challenge when the verify token matches", async () => {
      const res = remember(
        await request(app()).get(`${BASE}/webhook`).query({
          "hub.mode": "subscribe",
          "hub.verify_token": VERIFY_TOKEN,
          "hub.challenge": "15f7d1a91c1f40",
        }),
      );
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.equal(JSON_TYPE);
      expect(res.body).to.deep.equal({ "hub.challenge": "15f7d1a91c1f40" });
    });

    it("answers 403 to a wrong verify token", async () => {
      const res = remember(
        await request(app()).get(`${BASE}/webhook`).query({
          "hub.mode": "subscribe",
          "hub.verify_token": "guess",
          "hub.challenge": "never-echoed-zq",
        }),
      );
      expectProblem(res, 403, "invalid_verify_token", "query.hub.verify_token");
      // Not a hex string: "abc" was found now and then inside the problem's random request id.
      expect(res.text).not.to.include("never-echoed-zq");
    });

    it("answers 400 naming a missing challenge or a mode other than subscribe", async () => {
      const missing = await request(app())
        .get(`${BASE}/webhook`)
        .query({ "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN });
      expectProblem(missing, 400, "invalid_request", "query.hub.challenge");
      const mode = await request(app())
        .get(`${BASE}/webhook`)
        .query({ "hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "abc" });
      expectProblem(mode, 400, "invalid_hub_mode", "query.hub.mode");
    });
  });

  describe("OAuth connect and callback", () => {
    async function connect(wallet = newWallet()) {
      const session = await signIn({ app: app(), clock: harness.testApp.clock, account: wallet });
      const res = remember(await request(app()).get(`${BASE}/connect`).set("Cookie", session));
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const authorizeUrl = new URL(res.body.authorizeUrl as string);
      return { wallet, session, oauthCookie: cookieFrom(res, "ra_strava_oauth"), authorizeUrl, res };
    }

    /** Follows the authorize URL on the fake (it auto-approves) and returns the callback query it redirects to. */
    async function consent(authorizeUrl: URL, athleteId: number, scope?: string): Promise<URLSearchParams> {
      harness.fake.authorizeAs(athleteId, scope);
      const answer = await fetch(authorizeUrl, { redirect: "manual" });
      expect(answer.status).to.equal(302);
      const location = new URL(answer.headers.get("location") as string);
      expect(`${location.origin}${location.pathname}`).to.equal(harness.settings.redirectUri);
      return location.searchParams;
    }

    function callback(query: URLSearchParams, cookies: string[]) {
      return request(app()).get(`${BASE}/callback?${query.toString()}`).set("Cookie", cookies.join("; "));
    }

    it("requires a session to connect", async () => {
      const res = await request(app()).get(`${BASE}/connect`);
      expectProblem(res, 401, "unauthenticated");
    });

    it("gives Strava's authorize URL with a state bound to the wallet and to the browser", async () => {
      const { authorizeUrl, res, wallet } = await connect();
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).to.equal(
        `${harness.fake.baseUrl}/oauth/authorize`,
      );
      expect(authorizeUrl.searchParams.get("client_id")).to.equal(harness.fake.clientId);
      expect(authorizeUrl.searchParams.get("response_type")).to.equal("code");
      expect(authorizeUrl.searchParams.get("redirect_uri")).to.equal(harness.settings.redirectUri);
      expect(authorizeUrl.searchParams.get("scope")).to.equal("read,activity:read_all");
      expect(authorizeUrl.searchParams.get("approval_prompt")).to.equal("auto");
      const state = authorizeUrl.searchParams.get("state") as string;
      expect(state).to.match(/^[A-Za-z0-9_-]{43}$/);
      const cookie = (res.headers["set-cookie"] as unknown as string[]).find((c) =>
        c.startsWith("ra_strava_oauth="),
      );
      expect(cookie).to.include(`ra_strava_oauth=${state}`);
      expect(cookie).to.include("HttpOnly");
      expect(cookie).to.include("SameSite=Lax");
      expect(cookie).to.include(`Path=${BASE}/callback`);
      expect(res.headers["cache-control"]).to.equal("no-store");
      // The state is stored for this wallet (consumed here to look at it).
      const record = await harness.store.providerOauthStates.consume({ state, provider: "strava" });
      expect(record?.owner).to.equal(wallet.address);
    });

    it("links the athlete on a valid callback and redirects to the web app; tokens are sealed at rest", async () => {
      const athleteId = nextAthlete++;
      const { wallet, session, oauthCookie, authorizeUrl } = await connect();
      const query = await consent(authorizeUrl, athleteId);
      expect(query.get("scope")).to.equal("read,activity:read_all");
      const res = remember(await callback(query, [session, oauthCookie]));
      expect(res.status, res.text).to.equal(302);
      expect(res.headers.location).to.equal(`${WEB_REDIRECT_URL}?provider=strava&status=connected`);

      const exchange = harness.fake.requestsTo("/oauth/token", "POST").at(-1);
      expect(exchange?.form.grant_type).to.equal("authorization_code");
      expect(exchange?.form.code).to.equal(query.get("code"));
      expect(exchange?.form.client_secret).to.equal(harness.fake.clientSecret);

      const account = await harness.store.providerAccounts.getByOwner({
        provider: "strava",
        owner: wallet.address,
      });
      expect(account?.athleteId).to.equal(String(athleteId));
      expect(account?.scope).to.equal("read,activity:read_all");
      expect(account?.revokedAt).to.equal(null);
      const stored = account?.accessToken.reveal() as string;
      expect(stored).to.match(/^v1\./);
      expect(harness.fake.issuedTokens).not.to.include(stored);
      const opened = createTokenCipher({ key: TOKEN_KEY }).open(stored, {
        provider: "strava",
        athleteId: String(athleteId),
        kind: "access",
      });
      expect(harness.fake.issuedTokens).to.include(opened);
      expect(JSON.stringify(account)).not.to.include(opened);

      const status = remember(await request(app()).get(BASE).set("Cookie", session));
      expect(status.status).to.equal(200);
      expect(status.body).to.deep.equal({
        provider: "strava",
        linked: true,
        athleteId: String(athleteId),
        scope: "read,activity:read_all",
        revoked: false,
        linkedAt: account?.createdAt.toISOString(),
        syncedUntil: null,
      });
      const audit = await harness.store.auditLog.list({ subject: `provider:strava:athlete:${athleteId}` });
      expect(audit.map((entry) => entry.action)).to.deep.equal(["provider.linked"]);
    });

    it("refuses a replayed state without exchanging the code again", async () => {
      const athleteId = nextAthlete++;
      const { session, oauthCookie, authorizeUrl } = await connect();
      const query = await consent(authorizeUrl, athleteId);
      expect((await callback(query, [session, oauthCookie])).status).to.equal(302);
      const exchanges = harness.fake.requestsTo("/oauth/token").length;
      const replay = remember(await callback(query, [session, oauthCookie]));
      expectProblem(replay, 400, "invalid_oauth_state", "query.state");
      expect(harness.fake.requestsTo("/oauth/token").length).to.equal(exchanges);
    });

    it("refuses an expired state and stores nothing", async () => {
      const athleteId = nextAthlete++;
      const { wallet, session, oauthCookie, authorizeUrl } = await connect();
      const query = await consent(authorizeUrl, athleteId);
      harness.testApp.clock.advance(harness.settings.stateTtlMs);
      const res = remember(await callback(query, [session, oauthCookie]));
      expectProblem(res, 400, "invalid_oauth_state", "query.state");
      expect(
        await harness.store.providerAccounts.getByOwner({ provider: "strava", owner: wallet.address }),
      ).to.equal(null);
    });

    it("refuses another wallet's state, with or without that browser's cookie", async () => {
      const athleteId = nextAthlete++;
      const victim = await connect();
      const query = await consent(victim.authorizeUrl, athleteId);
      const other = newWallet();
      const otherSession = await signIn({ app: app(), clock: harness.testApp.clock, account: other });
      const exchanges = harness.fake.requestsTo("/oauth/token").length;

      const withoutCookie = remember(await callback(query, [otherSession]));
      expectProblem(withoutCookie, 400, "invalid_oauth_state", "query.state");

      const second = await connect(victim.wallet);
      const query2 = await consent(second.authorizeUrl, athleteId);
      const withCookie = remember(await callback(query2, [otherSession, second.oauthCookie]));
      expectProblem(withCookie, 400, "invalid_oauth_state", "query.state");

      expect(harness.fake.requestsTo("/oauth/token").length).to.equal(exchanges);
      for (const wallet of [victim.wallet, other]) {
        expect(
          await harness.store.providerAccounts.getByOwner({ provider: "strava", owner: wallet.address }),
        ).to.equal(null);
      }
      expect(
        await harness.store.providerAccounts.getByAthlete({
          provider: "strava",
          athleteId: String(athleteId),
        }),
      ).to.equal(null);
    });

    it("links without a session cookie (SameSite=Strict sessions are not sent on Strava's redirect)", async () => {
      const athleteId = nextAthlete++;
      const { wallet, oauthCookie, authorizeUrl } = await connect();
      const query = await consent(authorizeUrl, athleteId);
      const res = remember(await callback(query, [oauthCookie]));
      expect(res.status, res.text).to.equal(302);
      const account = await harness.store.providerAccounts.getByAthlete({
        provider: "strava",
        athleteId: String(athleteId),
      });
      expect(account?.owner).to.equal(wallet.address);
    });

    it("answers 400 when activity access was not granted, or access was denied", async () => {
      const athleteId = nextAthlete++;
      const first = await connect();
      const readOnly = await consent(first.authorizeUrl, athleteId, "read");
      const res = remember(await callback(readOnly, [first.session, first.oauthCookie]));
      expectProblem(res, 400, "insufficient_scope", "query.scope");
      expect(res.body.required).to.deep.equal(["activity:read_all", "activity:read"]);

      const second = await connect();
      const denied = new URLSearchParams({
        state: second.authorizeUrl.searchParams.get("state") as string,
        error: "access_denied",
      });
      const refused = remember(await callback(denied, [second.session, second.oauthCookie]));
      expectProblem(refused, 400, "provider_access_denied", "query.error");
      expect(
        await harness.store.providerAccounts.getByAthlete({
          provider: "strava",
          athleteId: String(athleteId),
        }),
      ).to.equal(null);
    });

    it("accepts activity:read alone", async () => {
      const athleteId = nextAthlete++;
      const { session, oauthCookie, authorizeUrl } = await connect();
      const query = await consent(authorizeUrl, athleteId, "read,activity:read");
      const res = remember(await callback(query, [session, oauthCookie]));
      expect(res.status, res.text).to.equal(302);
    });

    it("answers 400 when Strava refuses the code", async () => {
      const { session, oauthCookie, authorizeUrl } = await connect();
      const query = new URLSearchParams({
        state: authorizeUrl.searchParams.get("state") as string,
        code: "not-a-code",
        scope: "read,activity:read_all",
      });
      const res = remember(await callback(query, [session, oauthCookie]));
      expectProblem(res, 400, "invalid_oauth_code", "query.code");
    });

    it("answers 409 when the athlete is linked to another wallet", async () => {
      const athleteId = nextAthlete++;
      const first = await connect();
      expect(
        (await callback(await consent(first.authorizeUrl, athleteId), [first.session, first.oauthCookie]))
          .status,
      ).to.equal(302);
      const second = await connect();
      const res = remember(
        await callback(await consent(second.authorizeUrl, athleteId), [second.session, second.oauthCookie]),
      );
      expectProblem(res, 409, "provider_athlete_linked");
      const account = await harness.store.providerAccounts.getByAthlete({
        provider: "strava",
        athleteId: String(athleteId),
      });
      expect(account?.owner).to.equal(first.wallet.address);
    });
  });

  describe("DELETE / (unlink)", () => {
    it("answers 404 when nothing is linked", async () => {
      const session = await signIn({ app: app(), clock: harness.testApp.clock, account: newWallet() });
      const res = await request(app()).delete(BASE).set("Cookie", session);
      expectProblem(res, 404, "provider_not_linked");
    });

    it("deauthorises on Strava and forgets the tokens", async () => {
      const wallet = newWallet();
      const athleteId = nextAthlete++;
      const tokens = await linkAccount(harness, wallet.address, athleteId);
      const session = await signIn({ app: app(), clock: harness.testApp.clock, account: wallet });
      const res = remember(await request(app()).delete(BASE).set("Cookie", session));
      expect(res.status).to.equal(204);
      const deauthorize = harness.fake.requestsTo("/oauth/deauthorize", "POST").at(-1);
      expect(deauthorize?.form.access_token).to.equal(tokens.accessToken);
      expect(
        await harness.store.providerAccounts.getByOwner({ provider: "strava", owner: wallet.address }),
      ).to.equal(null);
      // Strava no longer accepts the token.
      const check = await fetch(`${harness.fake.baseUrl}/api/v3/athlete`, {
        headers: { authorization: `Bearer ${tokens.accessToken}` },
      });
      expect(check.status).to.equal(401);
      const audit = await harness.store.auditLog.list({ subject: `provider:strava:athlete:${athleteId}` });
      expect(audit.map((entry) => entry.action)).to.deep.equal(["provider.unlinked"]);
    });

    it("forgets the tokens even when Strava fails", async () => {
      const wallet = newWallet();
      await linkAccount(harness, wallet.address, nextAthlete++);
      harness.fake.script({ path: "/oauth/deauthorize" }, { status: 500 }, { status: 500 }, { status: 500 });
      const session = await signIn({ app: app(), clock: harness.testApp.clock, account: wallet });
      const res = await request(app()).delete(BASE).set("Cookie", session);
      expect(res.status).to.equal(204);
      expect(
        await harness.store.providerAccounts.getByOwner({ provider: "strava", owner: wallet.address }),
      ).to.equal(null);
    });
  });

  describe("POST /webhook (events)", () => {
    const postEvent = (body: unknown) =>
      request(app())
        .post(`${BASE}/webhook`)
        .send(body as object);

    async function linked(options: { expiresAt?: Date } = {}) {
      const wallet = newWallet();
      const athleteId = nextAthlete++;
      const tokens = await linkAccount(harness, wallet.address, athleteId, options);
      return { wallet, athleteId, tokens };
    }

    function addRun(
      athleteId: number,
      startOffsetMs: number,
      options: { manual?: boolean; speedMps?: number } = {},
    ) {
      const id = nextActivity++;
      const { activity, streams } = runActivity({
        id,
        athleteId,
        start: harness.testApp.clock.now() - startOffsetMs,
        minutes: 40,
        ...options,
      });
      harness.fake.addActivity(activity, streams);
      return activity;
    }

    beforeEach(() => {
      harness.sink.accepted.length = 0;
    });

    it("answers 200 at once and delivers the activity fetched with the stored token", async () => {
      const { wallet, athleteId, tokens } = await linked();
      const activity = addRun(athleteId, 3 * HOUR);
      const res = remember(await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId })));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: true });
      await harness.integration.queue.idle();

      const fetches = harness.fake.requestsTo(`/api/v3/activities/${activity.id}`);
      expect(fetches).to.have.length(1);
      expect(fetches[0]?.authorization).to.equal(`Bearer ${tokens.accessToken}`);
      expect(harness.fake.requestsTo(`/api/v3/activities/${activity.id}/streams`)).to.have.length(1);

      expect(harness.sink.accepted).to.have.length(1);
      const delivered = harness.sink.accepted[0];
      expect(delivered?.owner).to.equal(wallet.address);
      expect(delivered?.provider).to.equal("strava");
      expect(delivered?.providerActivityId).to.equal(String(activity.id));
      expect(delivered?.manual).to.equal(false);
      expect(delivered?.activity.source).to.equal("provider");
      expect(delivered?.activity.sport).to.equal("run");
      expect(delivered?.activity.startTime).to.equal(Date.parse(activity.start_date));
      expect(delivered?.activity.durationSec).to.equal(2400);
      expect(delivered?.activity.elapsedSec).to.equal(2400);
      expect(delivered?.activity.samples.timedPoints).to.equal(481);

      const stored = await harness.store.workouts.listByOwner(wallet.address);
      expect(stored.items).to.have.length(1);
      expect(stored.items[0]?.source).to.equal("provider");
      expect(stored.items[0]?.providerActivityId).to.equal(String(activity.id));
      expect(stored.items[0]?.verdict).to.deep.equal({ status: "accepted", reasons: [] });
    });

    it("refreshes an expiring access token first, persists the new pair and fetches with it", async () => {
      const { athleteId, tokens } = await linked({
        expiresAt: new Date(harness.testApp.clock.now() + 4 * MINUTE),
      });
      const activity = addRun(athleteId, 2 * HOUR);
      const before = await harness.store.providerAccounts.getByAthlete({
        provider: "strava",
        athleteId: String(athleteId),
      });
      await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId }));
      await harness.integration.queue.idle();

      const refresh = harness.fake.requestsTo("/oauth/token", "POST").at(-1);
      expect(refresh?.form.grant_type).to.equal("refresh_token");
      expect(refresh?.form.refresh_token).to.equal(tokens.refreshToken);
      const after = await harness.store.providerAccounts.getByAthlete({
        provider: "strava",
        athleteId: String(athleteId),
      });
      expect(after?.accessToken.reveal()).not.to.equal(before?.accessToken.reveal());
      expect(after?.refreshToken.reveal()).not.to.equal(before?.refreshToken.reveal());
      expect(after?.expiresAt.getTime()).to.equal(harness.testApp.clock.now() + 6 * HOUR);
      const cipher = createTokenCipher({ key: TOKEN_KEY });
      const newToken = cipher.open(after?.accessToken.reveal() as string, {
        provider: "strava",
        athleteId: String(athleteId),
        kind: "access",
      });
      expect(newToken).not.to.equal(tokens.accessToken);
      const fetch = harness.fake.requestsTo(`/api/v3/activities/${activity.id}`).at(-1);
      expect(fetch?.authorization).to.equal(`Bearer ${newToken}`);
      const streams = harness.fake.requestsTo(`/api/v3/activities/${activity.id}/streams`).at(-1);
      expect(streams?.authorization).to.equal(`Bearer ${newToken}`);
      expect(
        harness.fake.requestsTo("/oauth/token", "POST").filter((r) => r.form.grant_type === "refresh_token"),
      ).to.have.length(1);
      expect(harness.sink.accepted).to.have.length(1);
    });

    it("refreshes and retries once when Strava refuses a token that looked valid", async () => {
      const { athleteId, tokens } = await linked();
      const activity = addRun(athleteId, 2 * HOUR);
      harness.fake.script(
        { path: `/api/v3/activities/${activity.id}` },
        { status: 401, body: { message: "Authorization Error", errors: [] } },
      );
      await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId }));
      await harness.integration.queue.idle();
      const fetches = harness.fake.requestsTo(`/api/v3/activities/${activity.id}`);
      expect(fetches).to.have.length(2);
      expect(fetches[0]?.authorization).to.equal(`Bearer ${tokens.accessToken}`);
      expect(fetches[1]?.authorization).not.to.equal(`Bearer ${tokens.accessToken}`);
      expect(harness.sink.accepted).to.have.length(1);
    });

    it("delivers a manual Strava activity as manual, without asking for streams", async () => {
      const { athleteId } = await linked();
      const activity = addRun(athleteId, 5 * HOUR, { manual: true });
      await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId }));
      await harness.integration.queue.idle();
      expect(harness.fake.requestsTo(`/api/v3/activities/${activity.id}/streams`)).to.have.length(0);
      expect(harness.sink.accepted).to.have.length(1);
      expect(harness.sink.accepted[0]?.manual).to.equal(true);
      expect(harness.sink.accepted[0]?.activity.samples.timedPoints).to.equal(0);
    });

    it("survives malformed JSON from Strava: nothing stored, the failure logged", async () => {
      const { wallet, athleteId } = await linked();
      const activity = addRun(athleteId, 2 * HOUR);
      harness.fake.script(
        { path: `/api/v3/activities/${activity.id}` },
        { status: 200, raw: '{"id": 1, "athlete": ' },
      );
      const res = await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId }));
      expect(res.status).to.equal(200);
      await harness.integration.queue.idle();
      expect(harness.sink.accepted).to.have.length(0);
      expect((await harness.store.workouts.listByOwner(wallet.address)).items).to.have.length(0);
      const logged = harness.testApp.logs.find(
        (line) =>
          line.msg === "webhook event failed; reconciliation will retry" &&
          line.code === "provider_malformed_response",
      );
      expect(logged?.level).to.equal(40);
      expect(logged?.objectId).to.equal(activity.id);
      // A well-formed JSON of the wrong shape is refused the same way.
      harness.fake.script({ path: `/api/v3/activities/${activity.id}` }, { status: 200, body: { id: "x" } });
      await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId, aspect_type: "update" }));
      await harness.integration.queue.idle();
      expect(harness.sink.accepted).to.have.length(0);
      // The app still answers.
      expect(
        (await postEvent(webhookEvent({ object_id: 5, owner_id: athleteId, aspect_type: "delete" }))).status,
      ).to.equal(200);
    });

    it("ignores events of unknown athletes and of other subscriptions without asking Strava", async () => {
      const { athleteId } = await linked();
      const activity = addRun(athleteId, HOUR);
      const requestsBefore = harness.fake.requests.length;
      const unknown = await postEvent(webhookEvent({ object_id: activity.id, owner_id: 999_999_999 }));
      const foreign = await postEvent(
        webhookEvent({ object_id: activity.id, owner_id: athleteId, subscription_id: SUBSCRIPTION_ID + 1 }),
      );
      expect(unknown.status).to.equal(200);
      expect(foreign.status).to.equal(200);
      await harness.integration.queue.idle();
      expect(harness.fake.requests.length).to.equal(requestsBefore);
      expect(harness.sink.accepted).to.have.length(0);
    });

    it("answers 400 naming the field of a malformed event", async () => {
      const res = await postEvent({ ...webhookEvent(), aspect_type: "explode" });
      expectProblem(res, 400, "invalid_request", "aspect_type");
      const missing = await postEvent({ object_type: "activity" });
      expectProblem(missing, 400, "invalid_request");
    });

    it("does not fetch an update of an activity already stored", async () => {
      const { athleteId } = await linked();
      const activity = addRun(athleteId, 2 * HOUR);
      await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId }));
      await harness.integration.queue.idle();
      expect(harness.sink.accepted).to.have.length(1);
      await postEvent(
        webhookEvent({
          object_id: activity.id,
          owner_id: athleteId,
          aspect_type: "update",
          updates: { title: "Messy" },
        }),
      );
      await harness.integration.queue.idle();
      expect(harness.fake.requestsTo(`/api/v3/activities/${activity.id}`)).to.have.length(1);
      expect(harness.sink.accepted).to.have.length(1);
    });

    it("audits a deleted activity and removes nothing", async () => {
      const { wallet, athleteId } = await linked();
      const activity = addRun(athleteId, 2 * HOUR);
      await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId }));
      await harness.integration.queue.idle();
      // Sent three times (the webhook is not signed: anyone can repeat it): audited once.
      for (let sent = 0; sent < 3; sent += 1) {
        await postEvent(webhookEvent({ object_id: activity.id, owner_id: athleteId, aspect_type: "delete" }));
      }
      await harness.integration.queue.idle();
      expect((await harness.store.workouts.listByOwner(wallet.address)).items).to.have.length(1);
      const audit = await harness.store.auditLog.list({ subject: `provider:strava:activity:${activity.id}` });
      expect(audit).to.have.length(1);
      expect(audit[0]?.action).to.equal("provider.activity_deleted");
      expect(audit[0]?.details).to.include({
        stored: true,
        athleteId: String(athleteId),
        owner: wallet.address,
      });
    });

    it("adds no audit row for the deletion of an activity the agent never stored (the webhook is not signed)", async () => {
      const { athleteId } = await linked();
      for (const objectId of [91_000_001, 91_000_002, 91_000_003]) {
        expect(
          (await postEvent(webhookEvent({ object_id: objectId, owner_id: athleteId, aspect_type: "delete" })))
            .status,
        ).to.equal(200);
      }
      await harness.integration.queue.idle();
      const deletions = (await harness.store.auditLog.list({ limit: 100 })).filter((entry) =>
        /^provider:strava:activity:91000/.test(entry.subject ?? ""),
      );
      expect(deletions).to.have.length(0);
    });

    it("revokes the account on a deauthorization Strava confirms, and ignores a forged one", async () => {
      const forged = await linked();
      await postEvent(
        webhookEvent({
          object_type: "athlete",
          aspect_type: "update",
          object_id: forged.athleteId,
          owner_id: forged.athleteId,
          updates: { authorized: "false" },
        }),
      );
      await harness.integration.queue.idle();
      const still = await harness.store.providerAccounts.getByAthlete({
        provider: "strava",
        athleteId: String(forged.athleteId),
      });
      expect(still?.revokedAt).to.equal(null);

      const real = await linked();
      harness.fake.revoke(real.athleteId);
      await postEvent(
        webhookEvent({
          object_type: "athlete",
          aspect_type: "update",
          object_id: real.athleteId,
          owner_id: real.athleteId,
          updates: { authorized: "false" },
        }),
      );
      await harness.integration.queue.idle();
      const revoked = await harness.store.providerAccounts.getByAthlete({
        provider: "strava",
        athleteId: String(real.athleteId),
      });
      expect(revoked?.revokedAt?.getTime()).to.equal(harness.testApp.clock.now());
      expect(revoked?.accessToken.reveal()).to.equal("");
      expect(revoked?.refreshToken.reveal()).to.equal("");
      const audit = await harness.store.auditLog.list({
        subject: `provider:strava:athlete:${real.athleteId}`,
      });
      expect(audit.map((entry) => entry.action)).to.deep.equal(["provider.deauthorized"]);

      // Later events of the revoked athlete are ignored.
      const activity = addRun(real.athleteId, HOUR);
      const before = harness.fake.requests.length;
      await postEvent(webhookEvent({ object_id: activity.id, owner_id: real.athleteId }));
      await harness.integration.queue.idle();
      expect(harness.fake.requests.length).to.equal(before);
    });
  });
});

describe("Strava webhook queue bound", () => {
  let harness: StravaHarness;
  let release: () => void = () => {};

  before(async () => {
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    harness = await createStravaHarness({
      settings: (defaults) => ({ ...defaults, webhookQueueCapacity: 2 }),
      sink: () => {
        const accepted: ProviderActivity[] = [];
        return {
          accepted,
          accept: async (activity) => {
            accepted.push(activity);
            await gate;
          },
        };
      },
    });
  });

  after(async () => {
    release();
    await harness.close();
  });

  it("answers every event 200 and drops what does not fit, with a warning", async () => {
    const wallet = newWallet();
    const athleteId = nextAthlete++;
    await linkAccount(harness, wallet.address, athleteId);
    const ids: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const id = nextActivity++;
      ids.push(id);
      const { activity, streams } = runActivity({
        id,
        athleteId,
        start: harness.testApp.clock.now() - (10 - i) * HOUR,
        minutes: 30,
      });
      harness.fake.addActivity(activity, streams);
    }
    // The first event is taken up and blocks in the sink; two wait; the rest do not fit.
    const first = await request(harness.testApp.app)
      .post(`${BASE}/webhook`)
      .send(webhookEvent({ object_id: ids[0], owner_id: athleteId }));
    expect(first.status).to.equal(200);
    for (let waited = 0; harness.sink.accepted.length === 0 && waited < 200; waited += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(harness.sink.accepted).to.have.length(1);
    for (const id of ids.slice(1)) {
      const res = await request(harness.testApp.app)
        .post(`${BASE}/webhook`)
        .send(webhookEvent({ object_id: id, owner_id: athleteId }));
      expect(res.status).to.equal(200);
    }
    expect(harness.integration.queue.size).to.equal(2);
    const dropped = harness.testApp.logs.filter((line) => line.msg === "webhook queue full; event dropped");
    expect(dropped.map((line) => line.objectId)).to.deep.equal(ids.slice(3));
    expect(dropped.every((line) => line.level === 40)).to.equal(true);
    release();
    await harness.integration.queue.idle();
    expect(harness.sink.accepted.map((a) => Number(a.providerActivityId))).to.deep.equal(ids.slice(0, 3));
  });
});
