/**
 * The Strava client against the fake Strava server: retries of 429 (after `Retry-After`, or the end of the
 * exhausted rate-limit window) and 5xx with exponential backoff and full jitter, at most N attempts; 4xx not
 * retried; malformed, wrongly shaped, oversized and slow answers become typed DependencyErrors, never crashes.
 * Sleep and random are injected: every delay is checked exactly, nothing waits.
 */
import { expect } from "chai";
import { ManualClock } from "../../src/clock.ts";
import { Secret } from "../../src/config.ts";
import { DependencyError } from "../../src/errors.ts";
import {
  backoffDelayMs,
  parseRetryAfter,
  ProviderResponseError,
  type RetryPolicy,
} from "../../src/providers/providerRequest.ts";
import {
  createStravaClient,
  type StravaClient,
  stravaRateLimitWaitMs,
} from "../../src/providers/strava/stravaClient.ts";
import { collectLogs, START } from "../http/testApp.ts";
import { FakeStrava, runActivity } from "../support/fakeStrava.ts";

const POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 1_000, maxRetryAfterMs: 30_000 };
const ATHLETE = 77;
const ACTIVITY = 12_345_678_901;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail("expected a rejection");
}

describe("Strava client", () => {
  const clock = new ManualClock(START);
  let fake: FakeStrava;
  let sleeps: number[];
  let logs: ReturnType<typeof collectLogs>;
  let token: string;

  const client = (
    overrides: { timeoutMs?: number; maxResponseBytes?: number; baseUrl?: string } = {},
  ): StravaClient =>
    createStravaClient({
      baseUrl: overrides.baseUrl ?? fake.baseUrl,
      clientId: fake.clientId,
      clientSecret: new Secret(fake.clientSecret),
      http: {
        clock,
        logger: logs.logger,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0.5,
        timeoutMs: overrides.timeoutMs ?? 2_000,
        maxResponseBytes: overrides.maxResponseBytes ?? 1024 * 1024,
        retry: POLICY,
      },
    });

  before(async () => {
    fake = await new FakeStrava({ clock }).start();
    const { activity, streams } = runActivity({
      id: ACTIVITY,
      athleteId: ATHLETE,
      start: START - 3_600_000,
      minutes: 30,
    });
    fake.addActivity(activity, streams);
  });

  after(async () => {
    await fake.close();
  });

  afterEach(() => {
    // Every scripted answer was consumed: the attempts counted are exactly the ones scripted.
    expect(fake.pendingScripts).to.equal(0);
  });

  beforeEach(() => {
    clock.set(START);
    sleeps = [];
    logs = collectLogs();
    fake.requests.length = 0;
    fake.clearScripts();
    token = fake.issueTokens(ATHLETE).accessToken;
  });

  const activityPath = `/api/v3/activities/${ACTIVITY}`;

  it("fetches and validates an activity with the bearer token", async () => {
    const activity = await client().getActivity(token, String(ACTIVITY));
    expect(activity.id).to.equal(ACTIVITY);
    expect(activity.athlete.id).to.equal(ATHLETE);
    expect(activity.sport_type).to.equal("Run");
    expect(fake.requests).to.have.length(1);
    expect(fake.requests[0]?.authorization).to.equal(`Bearer ${token}`);
    expect(sleeps).to.deep.equal([]);
  });

  it("retries a 429 after its Retry-After", async () => {
    fake.script(
      { path: activityPath },
      { status: 429, headers: { "retry-after": "7" }, body: { message: "Rate Limit Exceeded" } },
    );
    const activity = await client().getActivity(token, String(ACTIVITY));
    expect(activity.id).to.equal(ACTIVITY);
    expect(fake.requestsTo(activityPath)).to.have.length(2);
    expect(sleeps).to.deep.equal([7_000]);
    const retry = logs.lines.find((line) => line.msg === "provider request failed; retrying");
    expect(retry).to.include({ status: 429, attempt: 1, waitMs: 7_000, code: "provider_rate_limited" });
  });

  it("honours Retry-After given as an HTTP date", async () => {
    fake.script(
      { path: activityPath },
      { status: 503, headers: { "retry-after": new Date(START + 3_000).toUTCString() } },
    );
    await client().getActivity(token, String(ACTIVITY));
    expect(sleeps).to.deep.equal([3_000]);
  });

  it("waits for the end of an exhausted 15-minute window when there is no Retry-After, if short enough", async () => {
    clock.set(START + 14 * 60_000 + 50_000); // 07:14:50: the window ends in 10 s
    fake.script(
      { path: activityPath },
      { status: 429, headers: { "x-ratelimit-limit": "600,30000", "x-ratelimit-usage": "600,1200" } },
    );
    await client().getActivity(token, String(ACTIVITY));
    expect(sleeps).to.deep.equal([10_000]);
  });

  it("fails at once when the rate-limit window is longer than it may wait", async () => {
    fake.script(
      { path: activityPath },
      { status: 429, headers: { "x-ratelimit-limit": "600,30000", "x-ratelimit-usage": "601,1200" } },
    );
    const error = await rejectionOf(client().getActivity(token, String(ACTIVITY)));
    expect(error).to.be.instanceOf(DependencyError);
    expect((error as DependencyError).code).to.equal("provider_rate_limited");
    expect((error as DependencyError).details).to.include({ status: 429, retryAfterSeconds: 900 });
    expect(fake.requestsTo(activityPath)).to.have.length(1);
    expect(sleeps).to.deep.equal([]);
  });

  it("backs off exponentially with full jitter on 5xx and gives up after maxAttempts", async () => {
    fake.script({ path: activityPath }, { status: 500 }, { status: 502 }, { status: 503 }, { status: 500 });
    const error = await rejectionOf(client().getActivity(token, String(ACTIVITY)));
    expect(error).to.be.instanceOf(DependencyError);
    expect((error as DependencyError).code).to.equal("provider_unavailable");
    expect((error as DependencyError).details).to.include({ status: 500, attempts: 4 });
    expect(fake.requestsTo(activityPath)).to.have.length(4);
    // random() = 0.5 of min(1000, 200 x 2^(n-1)): 100, 200, 400.
    expect(sleeps).to.deep.equal([100, 200, 400]);
  });

  it("does not retry a 404, nor a 401", async () => {
    const missing = await rejectionOf(client().getActivity(token, "999"));
    expect(missing).to.be.instanceOf(ProviderResponseError);
    expect((missing as ProviderResponseError).status).to.equal(404);
    expect((missing as ProviderResponseError).code).to.equal("provider_not_found");
    expect((missing as ProviderResponseError).details.providerMessage).to.equal("Record Not Found");
    const refused = await rejectionOf(client().getActivity("not-a-token", String(ACTIVITY)));
    expect((refused as ProviderResponseError).status).to.equal(401);
    expect((refused as ProviderResponseError).code).to.equal("provider_unauthorized");
    expect(fake.requests).to.have.length(2);
    expect(sleeps).to.deep.equal([]);
  });

  it("turns malformed JSON and a wrong shape into provider_malformed_response, not retried", async () => {
    fake.script({ path: activityPath }, { status: 200, raw: "<html>Strava is down</html>" });
    const malformed = await rejectionOf(client().getActivity(token, String(ACTIVITY)));
    expect(malformed).to.be.instanceOf(DependencyError);
    expect((malformed as DependencyError).code).to.equal("provider_malformed_response");

    fake.script(
      { path: activityPath },
      { status: 200, body: { id: ACTIVITY, athlete: { id: ATHLETE }, distance: -5 } },
    );
    const shape = await rejectionOf(client().getActivity(token, String(ACTIVITY)));
    expect((shape as DependencyError).code).to.equal("provider_malformed_response");
    const issues = (shape as DependencyError).details.issues as { path: string }[];
    expect(issues.map((issue) => issue.path)).to.include("distance");
    expect(fake.requests).to.have.length(2);
    expect(sleeps).to.deep.equal([]);
  });

  it("times out a slow answer, retries, and gives up with provider_timeout", async () => {
    fake.script(
      { path: activityPath },
      { status: 200, body: {}, delayMs: 1_500 },
      { status: 200, body: {}, delayMs: 1_500 },
    );
    const error = await rejectionOf(
      createStravaClient({
        baseUrl: fake.baseUrl,
        clientId: fake.clientId,
        clientSecret: new Secret(fake.clientSecret),
        http: {
          clock,
          logger: logs.logger,
          sleep: async (ms) => {
            sleeps.push(ms);
          },
          random: () => 0.5,
          timeoutMs: 400,
          maxResponseBytes: 1024 * 1024,
          retry: { ...POLICY, maxAttempts: 2 },
        },
      }).getActivity(token, String(ACTIVITY)),
    );
    expect(error).to.be.instanceOf(DependencyError);
    expect((error as DependencyError).code).to.equal("provider_timeout");
    expect(fake.requestsTo(activityPath)).to.have.length(2);
    expect(sleeps).to.deep.equal([100]);
  });

  it("recovers when a slow attempt is followed by a fast one", async () => {
    fake.script({ path: activityPath }, { status: 200, body: {}, delayMs: 1_500 });
    const activity = await client({ timeoutMs: 400 }).getActivity(token, String(ACTIVITY));
    expect(activity.id).to.equal(ACTIVITY);
  });

  it("refuses an answer larger than the limit", async () => {
    const error = await rejectionOf(
      client({ maxResponseBytes: 2_000 }).getActivityStreams(token, String(ACTIVITY)),
    );
    expect((error as DependencyError).code).to.equal("provider_response_too_large");
    expect(fake.requests).to.have.length(1);
  });

  it("reports an unreachable provider as provider_unreachable after the retries", async () => {
    const closed = await new FakeStrava({ clock }).start();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const error = await rejectionOf(client({ baseUrl }).getActivity(token, String(ACTIVITY)));
    expect((error as DependencyError).code).to.equal("provider_unreachable");
    expect(sleeps).to.have.length(3);
  });

  it("never puts an activity id that is not a number into a URL", async () => {
    const error = await rejectionOf(client().getActivity(token, "1/../../athlete"));
    expect((error as DependencyError).code).to.equal("invalid_activity_id");
    expect(fake.requests).to.have.length(0);
  });

  it("lists activities in bounded pages with after/before in epoch seconds", async () => {
    for (let i = 0; i < 5; i += 1) {
      const { activity } = runActivity({
        id: 500 + i,
        athleteId: 78,
        start: START - (10 - i) * 3_600_000,
        minutes: 20,
      });
      fake.addActivity(activity);
    }
    const own = fake.issueTokens(78).accessToken;
    const after = new Date(START - 11 * 3_600_000);
    const limited = await client().listActivities(own, { after, perPage: 2, maxPages: 2 });
    expect(limited.complete).to.equal(false);
    expect(limited.activities.map((a) => a.id)).to.deep.equal([500, 501, 502, 503]);
    const pages = fake.requestsTo("/api/v3/athlete/activities");
    expect(pages.map((r) => r.query)).to.deep.equal([
      { page: "1", per_page: "2", after: String(after.getTime() / 1000) },
      { page: "2", per_page: "2", after: String(after.getTime() / 1000) },
    ]);
    const all = await client().listActivities(own, { after, perPage: 200, maxPages: 5 });
    expect(all.complete).to.equal(true);
    expect(all.activities).to.have.length(5);
  });

  it("exchanges a code and refreshes a token with the client credentials in the form body", async () => {
    const code = fake.issueCode(ATHLETE);
    const exchanged = await client().exchangeCode(code);
    expect(exchanged.athlete.id).to.equal(ATHLETE);
    expect(exchanged.token_type).to.equal("Bearer");
    expect(exchanged.expires_at).to.equal(START / 1000 + 6 * 3600);
    const refreshed = await client().refreshAccessToken(exchanged.refresh_token);
    expect(refreshed.access_token).not.to.equal(exchanged.access_token);
    const [exchange, refresh] = fake.requestsTo("/oauth/token");
    expect(exchange?.form).to.deep.equal({
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      code,
      grant_type: "authorization_code",
    });
    expect(refresh?.form.grant_type).to.equal("refresh_token");
    expect(exchange?.query).to.deep.equal({});
    // The secret and the tokens were never logged.
    const text = JSON.stringify(logs.lines);
    for (const secret of [
      fake.clientSecret,
      exchanged.access_token,
      exchanged.refresh_token,
      refreshed.access_token,
    ]) {
      expect(text).not.to.include(secret);
    }
  });

  it("answers null for an activity without streams", async () => {
    expect(await client().getActivityStreams(token, "424242")).to.equal(null);
  });
});

describe("retry helpers", () => {
  it("parses Retry-After as seconds or an HTTP date, and ignores garbage", () => {
    expect(parseRetryAfter("12", START)).to.equal(12_000);
    expect(parseRetryAfter(new Date(START + 5_000).toUTCString(), START)).to.equal(5_000);
    expect(parseRetryAfter(new Date(START - 5_000).toUTCString(), START)).to.equal(0);
    expect(parseRetryAfter("soon", START)).to.equal(undefined);
    expect(parseRetryAfter(null, START)).to.equal(undefined);
  });

  it("draws full-jitter backoff below a doubling ceiling capped at maxDelayMs", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, POLICY, () => 0.999))).to.deep.equal([
      199, 399, 799, 999, 999,
    ]);
    expect(backoffDelayMs(3, POLICY, () => 0)).to.equal(0);
  });

  it("reads Strava's rate-limit headers: daily exhaustion waits for midnight UTC, 15-minute for the quarter", () => {
    const headers = (usage: string, read?: string) =>
      new Headers({
        "x-ratelimit-limit": "200,2000",
        "x-ratelimit-usage": usage,
        ...(read !== undefined ? { "x-readratelimit-limit": "100,1000", "x-readratelimit-usage": read } : {}),
      });
    const at = START + 5 * 60_000; // 07:05
    expect(stravaRateLimitWaitMs(headers("10,100"), at)).to.equal(undefined);
    expect(stravaRateLimitWaitMs(headers("200,300"), at)).to.equal(10 * 60_000);
    expect(stravaRateLimitWaitMs(headers("10,2000"), at)).to.equal(17 * 3_600_000 - 5 * 60_000);
    expect(stravaRateLimitWaitMs(headers("10,100", "100,200"), at)).to.equal(10 * 60_000);
    expect(stravaRateLimitWaitMs(new Headers(), at)).to.equal(undefined);
  });
});
