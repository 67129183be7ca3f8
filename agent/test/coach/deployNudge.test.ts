import { expect } from "chai";
import type { NudgeChannel } from "../../src/coach/channels/nudgeChannel.ts";
import { createInAppChannel } from "../../src/coach/channels/inAppChannel.ts";
import { deliverDueReminders } from "../../src/coach/nudges/deliverDueReminders.ts";
import { deployNudge } from "../../src/coach/nudges/deployNudge.ts";
import { type CoachTestContext, HOUR, openCoachTest, randomOwner, START } from "./coachFixtures.ts";

function failingChannel(): NudgeChannel {
  return {
    kind: "webhook",
    unavailableReason: () => null,
    deliver: async () => ({ ok: false, attempts: 4, error: "webhook answered 500" }),
  };
}

describe("coach deployNudge", () => {
  let t: CoachTestContext;

  before(async () => {
    t = await openCoachTest({ inApp: createInAppChannel(), webhook: failingChannel() });
  });
  after(() => t.store.close());
  beforeEach(() => t.clock.set(START)); // Mon 08:00 Berlin, 07:00 UTC

  async function savePrefs(owner: string, overrides: Record<string, unknown> = {}) {
    await t.store.coachPreferences.put({
      owner,
      timezone: "Europe/Berlin",
      quietStartMin: 22 * 60,
      quietEndMin: 7 * 60,
      channels: ["inApp", "webhook"],
      dailyCap: 2,
      email: null,
      webhookUrl: "https://hooks.example.com/x",
      ...overrides,
    });
  }

  it("delivers in-app and records the delivery", async () => {
    const owner = randomOwner();
    const result = await deployNudge(t.deps, { owner, channel: "inApp", message: "Go run.", reason: "test" });
    expect(result.status).to.equal("delivered");
    const [stored] = await t.store.nudges.listByOwner(owner);
    expect(stored).to.deep.include({
      status: "delivered",
      attempts: 1,
      message: "Go run.",
      channel: "inApp",
    });
    expect(stored?.deliveredAt?.getTime()).to.equal(START);
    const feed = await t.store.nudges.listFeed(owner);
    expect(feed.items.map((n) => n.id)).to.deep.equal([stored?.id]);
  });

  it("never nudges in quiet hours (the owner's zone), and stores nothing", async () => {
    const owner = randomOwner();
    await savePrefs(owner);
    t.clock.set(Date.parse("2026-11-23T05:30:00Z")); // 06:30 Berlin
    const result = await deployNudge(t.deps, { owner, channel: "inApp", message: "Early", reason: "test" });
    expect(result).to.deep.include({ status: "suppressed", reason: "quiet_hours" });
    t.clock.set(Date.parse("2026-11-23T21:00:00Z")); // 22:00 Berlin
    expect(
      (await deployNudge(t.deps, { owner, channel: "inApp", message: "Late", reason: "test" })).status,
    ).to.equal("suppressed");
    expect(await t.store.nudges.listByOwner(owner)).to.deep.equal([]);
  });

  it("dedupes the same intervention per channel", async () => {
    const owner = randomOwner();
    const first = await deployNudge(t.deps, {
      owner,
      channel: "inApp",
      message: "Same",
      reason: "r",
      dedupeKey: "k1",
    });
    const second = await deployNudge(t.deps, {
      owner,
      channel: "inApp",
      message: "Same",
      reason: "r",
      dedupeKey: "k1",
    });
    expect(second).to.deep.equal({
      status: "duplicate",
      channel: "inApp",
      nudgeId: (first as { nudgeId: string }).nudgeId,
    });
    const third = await deployNudge(t.deps, { owner, channel: "inApp", message: "Same", reason: "r" });
    const fourth = await deployNudge(t.deps, { owner, channel: "inApp", message: "Same", reason: "r" });
    expect(third.status).to.equal("delivered");
    expect(fourth.status).to.equal("duplicate");
    expect(await t.store.nudges.listByOwner(owner)).to.have.length(2);
  });

  it("caps distinct interventions per local day; the next local day is fresh", async () => {
    const owner = randomOwner();
    await savePrefs(owner, { dailyCap: 2, channels: ["inApp"] });
    const send = (key: string) =>
      deployNudge(t.deps, { owner, channel: "inApp", message: `m ${key}`, reason: "r", dedupeKey: key });
    expect((await send("a")).status).to.equal("delivered");
    expect((await send("b")).status).to.equal("delivered");
    expect(await send("c")).to.deep.include({ status: "suppressed", reason: "daily_cap" });
    t.clock.set(Date.parse("2026-11-24T07:00:00Z")); // Tue 08:00 Berlin
    expect((await send("c")).status).to.equal("delivered");
    expect(await t.store.nudges.listByOwner(owner)).to.have.length(3);
  });

  it("counts one intervention once across its channels", async () => {
    const owner = randomOwner();
    await savePrefs(owner, { dailyCap: 1 });
    const a = await deployNudge(t.deps, {
      owner,
      channel: "inApp",
      message: "x",
      reason: "r",
      dedupeKey: "both",
    });
    const b = await deployNudge(t.deps, {
      owner,
      channel: "webhook",
      message: "x",
      reason: "r",
      dedupeKey: "both",
    });
    expect(a.status).to.equal("delivered");
    // The webhook channel fails: recorded as failed with attempts and error, and it was not capped.
    expect(b).to.deep.include({ status: "failed", attempts: 4, error: "webhook answered 500" });
    const stored = (await t.store.nudges.listByOwner(owner)).find((n) => n.channel === "webhook");
    expect(stored).to.deep.include({ status: "failed", attempts: 4, lastError: "webhook answered 500" });
    expect(stored?.deliveredAt).to.equal(null);
  });

  it("suppresses channels the owner did not choose or the agent has not configured", async () => {
    const owner = randomOwner();
    await savePrefs(owner, { channels: ["inApp"] });
    expect(
      await deployNudge(t.deps, { owner, channel: "webhook", message: "x", reason: "r" }),
    ).to.deep.include({
      status: "suppressed",
      reason: "channel_disabled",
    });
    await savePrefs(owner, { channels: ["inApp", "email"], email: "a@example.com" });
    expect(await deployNudge(t.deps, { owner, channel: "email", message: "x", reason: "r" })).to.deep.include(
      {
        status: "suppressed",
        reason: "channel_unavailable",
      },
    );
  });

  it("delivers due reminders once, and not before they are due", async () => {
    const owner = randomOwner();
    const dueAt = new Date(START + 2 * HOUR);
    await t.store.nudges.reserve({
      owner,
      channel: "inApp",
      dedupeKey: "reminder:x",
      reason: "reminder",
      message: "Run!",
      status: "scheduled",
      dueAt,
    });
    expect(await deliverDueReminders(t.deps)).to.deep.equal({ delivered: 0, failed: 0 });
    expect((await t.store.nudges.listFeed(owner)).items).to.deep.equal([]);
    t.clock.set(START + 2 * HOUR);
    const first = await deliverDueReminders(t.deps);
    expect(first.delivered).to.be.greaterThanOrEqual(1);
    expect(await deliverDueReminders(t.deps)).to.deep.equal({ delivered: 0, failed: 0 });
    const feed = await t.store.nudges.listFeed(owner);
    expect(feed.items.map((n) => [n.message, n.status])).to.deep.equal([["Run!", "delivered"]]);
  });

  /** `count` reminders of `owner`, due a second ago. */
  async function reserveDueReminders(owner: string, tag: string, count: number): Promise<void> {
    for (let index = 0; index < count; index += 1) {
      await t.store.nudges.reserve({
        owner,
        channel: "inApp",
        dedupeKey: `reminder:${tag}${index}`,
        reason: "reminder",
        message: `${tag} ${index}`,
        status: "scheduled",
        dueAt: new Date(t.clock.now() - 1_000),
      });
    }
  }

  it("delivers more due reminders than one batch in one call, up to its batches", async () => {
    const owner = randomOwner();
    await reserveDueReminders(owner, "batch", 7);
    const statuses = async () =>
      (await t.store.nudges.listByOwner(owner)).map((nudge) => nudge.status).sort();
    // Batches of 2, at most 3 of them: 6 of these (other tests' reminders are not due) now, the last one next time.
    await deliverDueReminders(t.deps, { limit: 2, maxBatches: 3 });
    expect(await statuses()).to.deep.equal([...Array(6).fill("delivered"), "scheduled"]);
    await deliverDueReminders(t.deps, { limit: 2, maxBatches: 3 });
    expect(await statuses()).to.deep.equal(Array(7).fill("delivered"));
  });

  it("stops delivering reminders once the pass's time is up, and leaves the rest scheduled", async () => {
    const owner = randomOwner();
    await reserveDueReminders(owner, "late", 3);
    let checks = 0;
    // Time is up at the second delivery's check.
    const expired = () => {
      checks += 1;
      return checks > 1;
    };
    await deliverDueReminders(t.deps, { expired });
    const statuses = (await t.store.nudges.listByOwner(owner)).map((nudge) => nudge.status).sort();
    expect(statuses).to.deep.equal(["delivered", "scheduled", "scheduled"]);
  });
});
