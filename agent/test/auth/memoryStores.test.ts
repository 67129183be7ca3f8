import { expect } from "chai";
import { createMemoryNonceStore, createMemorySessionStore } from "../../src/auth/memoryStores.ts";
import { ManualClock } from "../../src/clock.ts";
import { ConflictError } from "../../src/errors.ts";

const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const id = (n: number) => n.toString(16).padStart(64, "0");

describe("memory nonce store", () => {
  it("consumes an issued nonce exactly once", async () => {
    const nonces = createMemoryNonceStore({ clock: new ManualClock(0) });
    await nonces.issue("abcdefgh1", 1_000);
    expect(await nonces.consume("abcdefgh1")).to.equal(true);
    expect(await nonces.consume("abcdefgh1")).to.equal(false);
    expect(await nonces.consume("neverissued")).to.equal(false);
  });

  it("expires a nonce at its TTL by the injected clock", async () => {
    const clock = new ManualClock(0);
    const nonces = createMemoryNonceStore({ clock });
    await nonces.issue("early0001", 1_000);
    await nonces.issue("late00001", 1_000);
    clock.advance(999);
    expect(await nonces.consume("early0001")).to.equal(true);
    clock.advance(1);
    expect(await nonces.consume("late00001")).to.equal(false);
  });

  it("refuses to issue a nonce twice", async () => {
    const nonces = createMemoryNonceStore({ clock: new ManualClock(0) });
    await nonces.issue("abcdefgh1", 1_000);
    const error = await nonces.issue("abcdefgh1", 1_000).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConflictError);
    expect((error as ConflictError).code).to.equal("nonce_exists");
  });

  it("stays within maxEntries: sweeps expired nonces, then evicts the oldest live one", async () => {
    const clock = new ManualClock(0);
    const nonces = createMemoryNonceStore({ clock, maxEntries: 3 });
    await nonces.issue("nonce0001", 100);
    await nonces.issue("nonce0002", 10_000);
    await nonces.issue("nonce0003", 10_000);
    clock.advance(100);
    await nonces.issue("nonce0004", 10_000);
    expect(nonces.size).to.equal(3);
    await nonces.issue("nonce0005", 10_000);
    expect(nonces.size).to.equal(3);
    expect(await nonces.consume("nonce0002")).to.equal(false);
    expect(await nonces.consume("nonce0003")).to.equal(true);
    for (let i = 0; i < 1_000; i++) await nonces.issue(`flood${String(i).padStart(5, "0")}`, 10_000);
    expect(nonces.size).to.equal(3);
  });
});

describe("memory session store", () => {
  it("creates, reads and deletes a session", async () => {
    const clock = new ManualClock(1_000);
    const sessions = createMemorySessionStore({ clock });
    const created = await sessions.create({ id: id(1), address: ALICE, chainId: 31337, ttlMs: 5_000 });
    const expected = {
      id: id(1),
      address: ALICE,
      chainId: 31337,
      createdAt: new Date(1_000),
      expiresAt: new Date(6_000),
    };
    expect(created).to.deep.equal(expected);
    expect(await sessions.get(id(1))).to.deep.equal(expected);
    expect(await sessions.delete(id(1))).to.equal(true);
    expect(await sessions.delete(id(1))).to.equal(false);
    expect(await sessions.get(id(1))).to.equal(null);
  });

  it("is valid strictly before expiresAt", async () => {
    const clock = new ManualClock(0);
    const sessions = createMemorySessionStore({ clock });
    await sessions.create({ id: id(1), address: ALICE, chainId: 1, ttlMs: 5_000 });
    clock.set(4_999);
    expect(await sessions.get(id(1))).not.to.equal(null);
    clock.set(5_000);
    expect(await sessions.get(id(1))).to.equal(null);
  });

  it("refuses a taken id", async () => {
    const sessions = createMemorySessionStore({ clock: new ManualClock(0) });
    await sessions.create({ id: id(1), address: ALICE, chainId: 1, ttlMs: 5_000 });
    const error = await sessions
      .create({ id: id(1), address: ALICE, chainId: 1, ttlMs: 5_000 })
      .catch((e: unknown) => e);
    expect((error as ConflictError).code).to.equal("session_exists");
  });

  it("stays within maxEntries", async () => {
    const sessions = createMemorySessionStore({ clock: new ManualClock(0), maxEntries: 2 });
    for (let i = 1; i <= 5; i++)
      await sessions.create({ id: id(i), address: ALICE, chainId: 1, ttlMs: 5_000 });
    expect(sessions.size).to.equal(2);
    expect(await sessions.get(id(3))).to.equal(null);
    expect(await sessions.get(id(5))).not.to.equal(null);
  });

  it("hands out copies, so callers cannot change what is stored", async () => {
    const sessions = createMemorySessionStore({ clock: new ManualClock(0) });
    const created = await sessions.create({ id: id(1), address: ALICE, chainId: 1, ttlMs: 5_000 });
    created.chainId = 2;
    expect((await sessions.get(id(1)))?.chainId).to.equal(1);
  });
});
