/**
 * Reconciliation against the fake Strava server and the real store: it picks up activities whose webhook never
 * arrived, does not deliver again what a webhook already delivered, respects its bounds (accounts per run,
 * pages per account), resumes after a failure, and its loop never overlaps itself.
 */
import { expect } from "chai";
import request from "supertest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { ProviderActivity } from "../../src/providers/providerActivitySink.ts";
import { runActivity } from "../support/fakeStrava.ts";
import {
  createStravaHarness,
  linkAccount,
  type StravaHarness,
  storeSink,
  webhookEvent,
} from "./stravaHarness.ts";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

let nextAthlete = 5000;
let nextActivity = 7_000_000_000;

function newWallet() {
  return privateKeyToAccount(generatePrivateKey()).address;
}

function addRun(harness: StravaHarness, athleteId: number, startsAgoMs: number) {
  const id = nextActivity++;
  const { activity, streams } = runActivity({
    id,
    athleteId,
    start: harness.testApp.clock.now() - startsAgoMs,
    minutes: 35,
  });
  harness.fake.addActivity(activity, streams);
  return activity;
}

describe("Strava reconciliation", () => {
  let harness: StravaHarness;

  beforeEach(async () => {
    harness = await createStravaHarness({
      sink: (store, clock) => storeSink(store, clock),
      settings: (defaults) => ({
        ...defaults,
        reconcile: { ...defaults.reconcile, maxAccountsPerRun: 2, maxPagesPerAccount: 2, perPage: 2 },
      }),
    });
  });

  afterEach(async () => {
    await harness.close();
  });

  it("delivers an activity whose webhook never arrived, and not again one that a webhook delivered", async () => {
    const owner = newWallet();
    const athleteId = nextAthlete++;
    await linkAccount(harness, owner, athleteId);
    const viaWebhook = addRun(harness, athleteId, 30 * HOUR);
    const missed = addRun(harness, athleteId, 6 * HOUR);
    await request(harness.testApp.app)
      .post("/api/providers/strava/webhook")
      .send(webhookEvent({ object_id: viaWebhook.id, owner_id: athleteId }));
    await harness.integration.queue.idle();
    expect(harness.sink.accepted.map((a) => a.providerActivityId)).to.deep.equal([String(viaWebhook.id)]);

    const report = await harness.integration.reconciler.reconcileOnce();
    expect(report).to.deep.equal({ accounts: 1, delivered: 1, alreadyStored: 1, failedAccounts: 0 });
    expect(harness.sink.accepted.map((a) => a.providerActivityId)).to.deep.equal([
      String(viaWebhook.id),
      String(missed.id),
    ]);
    const stored = await harness.store.workouts.listByOwner(owner);
    expect(stored.items.map((w) => w.providerActivityId).sort()).to.deep.equal(
      [String(viaWebhook.id), String(missed.id)].sort(),
    );
    const account = await harness.store.providerAccounts.getByAthlete({
      provider: "strava",
      athleteId: String(athleteId),
    });
    expect(account?.syncedUntil?.toISOString()).to.equal(missed.start_date.replace("Z", ".000Z"));

    // A new account lists from a week before it was linked.
    const list = harness.fake.requestsTo("/api/v3/athlete/activities")[0];
    expect(Number(list?.query.after)).to.equal(Math.floor((harness.testApp.clock.now() - 7 * DAY) / 1000));

    // The next run lists from synced_until minus the overlap and delivers nothing new.
    const again = await harness.integration.reconciler.reconcileOnce();
    expect(again).to.deep.equal({ accounts: 1, delivered: 0, alreadyStored: 2, failedAccounts: 0 });
    const next = harness.fake.requestsTo("/api/v3/athlete/activities").at(-1);
    expect(Number(next?.query.after)).to.equal(
      Math.floor((Date.parse(missed.start_date) - 72 * HOUR) / 1000),
    );
    expect(harness.sink.accepted).to.have.length(2);
    expect((await harness.store.workouts.listByOwner(owner)).items).to.have.length(2);
  });

  it("reads at most maxPagesPerAccount pages and resumes from there next run", async () => {
    const owner = newWallet();
    const athleteId = nextAthlete++;
    await linkAccount(harness, owner, athleteId);
    const runs = [5, 4, 3, 2, 1].map((days) => addRun(harness, athleteId, days * DAY));
    const first = await harness.integration.reconciler.reconcileOnce();
    expect(first.delivered).to.equal(4);
    expect(harness.fake.requestsTo("/api/v3/athlete/activities")).to.have.length(2);
    expect(harness.sink.accepted.map((a) => Number(a.providerActivityId))).to.deep.equal(
      runs.slice(0, 4).map((r) => r.id),
    );
    const second = await harness.integration.reconciler.reconcileOnce();
    expect(second.delivered).to.equal(1);
    expect(harness.sink.accepted.map((a) => Number(a.providerActivityId))).to.deep.equal(
      runs.map((r) => r.id),
    );
  });

  it("visits at most maxAccountsPerRun accounts per run, round robin, and skips revoked ones", async () => {
    const athletes = [nextAthlete++, nextAthlete++, nextAthlete++, nextAthlete++];
    for (const athleteId of athletes) {
      await linkAccount(harness, newWallet(), athleteId);
      addRun(harness, athleteId, 2 * DAY);
    }
    await harness.store.providerAccounts.markRevoked({ provider: "strava", athleteId: String(athletes[3]) });
    const first = await harness.integration.reconciler.reconcileOnce();
    const second = await harness.integration.reconciler.reconcileOnce();
    expect(first.accounts).to.equal(2);
    expect(second.accounts).to.equal(1);
    const delivered = harness.sink.accepted.map((a: ProviderActivity) => a.activity.contentHash);
    expect(new Set(delivered).size).to.equal(3);
    const athletesServed = harness.fake.requestsTo("/api/v3/athlete/activities").map((r) => r.authorization);
    expect(new Set(athletesServed).size).to.equal(3);
  });

  it("stops an account at a failing activity and offers it again next run", async () => {
    const owner = newWallet();
    const athleteId = nextAthlete++;
    await linkAccount(harness, owner, athleteId);
    const ok = addRun(harness, athleteId, 3 * DAY);
    const failing = addRun(harness, athleteId, 2 * DAY);
    const later = addRun(harness, athleteId, 1 * DAY);
    harness.fake.script(
      { path: `/api/v3/activities/${failing.id}/streams` },
      { status: 502 },
      { status: 502 },
      { status: 502 },
    );
    const first = await harness.integration.reconciler.reconcileOnce();
    expect(first).to.deep.equal({ accounts: 1, delivered: 1, alreadyStored: 0, failedAccounts: 1 });
    const account = await harness.store.providerAccounts.getByAthlete({
      provider: "strava",
      athleteId: String(athleteId),
    });
    expect(account?.syncedUntil?.getTime()).to.equal(Date.parse(ok.start_date));
    const failed = harness.testApp.logs.find(
      (line) => line.msg === "reconciliation of a provider account failed; retried next run",
    );
    expect(failed?.code).to.equal("provider_unavailable");

    const second = await harness.integration.reconciler.reconcileOnce();
    expect(second).to.deep.equal({ accounts: 1, delivered: 2, alreadyStored: 1, failedAccounts: 0 });
    expect(
      (await harness.store.workouts.listByOwner(owner)).items.map((w) => w.providerActivityId).sort(),
    ).to.deep.equal([ok.id, failing.id, later.id].map(String).sort());
  });

  it("runs periodically without ever overlapping itself, and stop() waits for the run in progress", async () => {
    const owner = newWallet();
    const athleteId = nextAthlete++;
    await linkAccount(harness, owner, athleteId);
    addRun(harness, athleteId, DAY);
    // Every listing takes 150 ms while the loop would fire every 10 ms.
    for (let i = 0; i < 50; i += 1) {
      harness.fake.script({ path: "/api/v3/athlete/activities" }, { status: 200, body: [], delayMs: 150 });
    }
    harness.integration.reconciler.start(10);
    harness.integration.reconciler.start(10);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await harness.integration.reconciler.stop();
    const lists = harness.fake.requestsTo("/api/v3/athlete/activities");
    const done = harness.testApp.logs.filter((line) => line.msg === "reconciliation done");
    // Sequential runs of >= 150 ms each fit at most 3 times into 400 ms; an overlapping loop would make dozens.
    expect(lists.length).to.be.within(1, 3);
    expect(done.length).to.equal(lists.length);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(harness.fake.requestsTo("/api/v3/athlete/activities").length).to.equal(lists.length);
  });
});
