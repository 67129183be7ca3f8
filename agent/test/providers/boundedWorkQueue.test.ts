/** The bounded in-process queue: never more than `capacity` waiting, failures logged, close drains. */
import { expect } from "chai";
import { createBoundedWorkQueue } from "../../src/providers/boundedWorkQueue.ts";
import { collectLogs } from "../http/testApp.ts";

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("bounded work queue", () => {
  it("keeps at most `capacity` items waiting and refuses the rest", async () => {
    const { logger } = collectLogs();
    const done: number[] = [];
    const blocker = gate();
    const queue = createBoundedWorkQueue<number>({
      name: "test",
      capacity: 3,
      logger,
      handle: async (item) => {
        await blocker.opened;
        done.push(item);
      },
    });
    expect(queue.push(1)).to.equal(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.running).to.equal(1);
    expect([2, 3, 4, 5, 6].map((item) => queue.push(item))).to.deep.equal([true, true, true, false, false]);
    expect(queue.size).to.equal(3);
    blocker.open();
    await queue.idle();
    expect(done).to.deep.equal([1, 2, 3, 4]);
    expect(queue.size).to.equal(0);
    expect(queue.running).to.equal(0);
  });

  it("runs `concurrency` items at a time, in order", async () => {
    const { logger } = collectLogs();
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const queue = createBoundedWorkQueue<number>({
      name: "test",
      capacity: 10,
      concurrency: 2,
      logger,
      handle: async (item) => {
        started.push(item);
        active += 1;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active -= 1;
      },
    });
    for (let i = 1; i <= 6; i += 1) queue.push(i);
    await queue.idle();
    expect(started).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(peak).to.equal(2);
  });

  it("logs a failing item and goes on", async () => {
    const { logger, lines } = collectLogs();
    const done: number[] = [];
    const queue = createBoundedWorkQueue<number>({
      name: "test",
      capacity: 5,
      logger,
      handle: async (item) => {
        if (item === 2) throw new Error("boom");
        done.push(item);
      },
    });
    for (const item of [1, 2, 3]) queue.push(item);
    await queue.idle();
    expect(done).to.deep.equal([1, 3]);
    const failure = lines.find((line) => line.msg === "queued work failed");
    expect(failure?.level).to.equal(50);
    expect(failure?.queue).to.equal("test");
  });

  it("close refuses new items, drops waiting ones and waits for the running one", async () => {
    const { logger } = collectLogs();
    const done: number[] = [];
    const blocker = gate();
    const queue = createBoundedWorkQueue<number>({
      name: "test",
      capacity: 5,
      logger,
      handle: async (item) => {
        await blocker.opened;
        done.push(item);
      },
    });
    queue.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    queue.push(2);
    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    expect(queue.push(3)).to.equal(false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).to.equal(false);
    blocker.open();
    await closing;
    expect(done).to.deep.equal([1]);
  });

  it("idle resolves at once when there is nothing to do", async () => {
    const { logger } = collectLogs();
    const queue = createBoundedWorkQueue<number>({
      name: "test",
      capacity: 1,
      logger,
      handle: async () => {},
    });
    await queue.idle();
  });
});
