import { strict as assert } from "node:assert";
import { ClosedGateError, createCloseGate } from "../../src/store/closeGate.ts";

/** A promise with its resolve and reject at hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback and one turn of the loop run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("closeGate", () => {
  it("passes each call's result and failure through and counts the calls in flight", async () => {
    const gate = createCloseGate();
    const first = deferred<number>();
    const second = deferred<number>();
    const a = gate.run(() => first.promise);
    const b = gate.run(() => second.promise);
    assert.equal(gate.inFlight, 2);
    first.resolve(7);
    assert.equal(await a, 7);
    assert.equal(gate.inFlight, 1);
    second.reject(new Error("boom"));
    await assert.rejects(b, /boom/);
    assert.equal(gate.inFlight, 0);
  });

  it("closes the client only after every call in flight settled, once, and refuses calls begun after it", async () => {
    const gate = createCloseGate();
    const pending = deferred<string>();
    const failing = deferred<string>();
    const running = gate.run(() => pending.promise);
    const doomed = gate.run(() => failing.promise);
    let closes = 0;
    const closeClient = async () => {
      closes += 1;
    };
    const closing = gate.close(closeClient);
    assert.equal(gate.close(closeClient), closing, "the same promise on every call");

    let called = false;
    await assert.rejects(
      gate.run(async () => {
        called = true;
      }),
      (error: unknown) => error instanceof ClosedGateError && error.message === "PGlite is closing",
    );
    assert.equal(called, false, "a refused call never runs");

    await turn();
    assert.equal(closes, 0, "not closed while two calls are in flight");
    failing.reject(new Error("late failure"));
    await assert.rejects(doomed, /late failure/);
    await turn();
    assert.equal(closes, 0, "not closed while one call is in flight");
    pending.resolve("done");
    assert.equal(await running, "done");
    await closing;
    assert.equal(closes, 1);
  });

  it("closes at once when nothing is in flight, and a call that throws before its promise is not left counted", async () => {
    const gate = createCloseGate();
    await assert.rejects(
      gate.run(() => {
        throw new Error("synchronous");
      }),
      /synchronous/,
    );
    assert.equal(gate.inFlight, 0);
    let closed = false;
    await gate.close(async () => {
      closed = true;
    });
    assert.equal(closed, true);
  });

  it("hands on the client's own close failure", async () => {
    const gate = createCloseGate();
    await assert.rejects(
      gate.close(async () => {
        throw new Error("close failed");
      }),
      /close failed/,
    );
  });
});
