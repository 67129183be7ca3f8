import { expect } from "chai";
import { Closer, CloserClosedError } from "../../src/lifecycle/closer.ts";

function recordingCloser() {
  const failures: { name: string; message: string }[] = [];
  const closer = new Closer({
    onError: (name, error) =>
      failures.push({ name, message: error instanceof Error ? error.message : String(error) }),
  });
  return { closer, failures };
}

describe("Closer", () => {
  it("closes newest first, each after the previous has finished", async () => {
    const { closer, failures } = recordingCloser();
    const events: string[] = [];
    closer.add("store", async () => {
      events.push("store start");
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push("store end");
    });
    closer.add("redis", async () => {
      events.push("redis start");
      await new Promise((resolve) => setTimeout(resolve, 10));
      events.push("redis end");
    });
    closer.add("server", () => {
      events.push("server");
    });
    await closer.close();
    expect(events).to.deep.equal(["server", "redis start", "redis end", "store start", "store end"]);
    expect(failures).to.deep.equal([]);
  });

  it("goes on past a closer that throws or rejects, and reports each failure with its name", async () => {
    const { closer, failures } = recordingCloser();
    const closed: string[] = [];
    closer.add("store", async () => {
      closed.push("store");
    });
    closer.add("redis", async () => {
      throw new Error("connection reset");
    });
    closer.add("pool", () => {
      throw new Error("worker stuck");
    });
    closer.add("server", async () => {
      closed.push("server");
    });
    await closer.close();
    expect(closed).to.deep.equal(["server", "store"]);
    expect(failures).to.deep.equal([
      { name: "pool", message: "worker stuck" },
      { name: "redis", message: "connection reset" },
    ]);
  });

  it("a reporter that throws does not stop the teardown", async () => {
    const closed: string[] = [];
    const closer = new Closer({
      onError: () => {
        throw new Error("logger gone");
      },
    });
    closer.add("store", async () => {
      closed.push("store");
    });
    closer.add("redis", async () => {
      throw new Error("connection reset");
    });
    await closer.close();
    expect(closed).to.deep.equal(["store"]);
  });

  it("closes each resource once, however often close() is called (the same promise)", async () => {
    const { closer } = recordingCloser();
    let closes = 0;
    closer.add("store", async () => {
      closes += 1;
    });
    expect(closer.closing).to.equal(false);
    const first = closer.close();
    const second = closer.close();
    expect(second).to.equal(first);
    expect(closer.closing).to.equal(true);
    await Promise.all([first, second, closer.close()]);
    expect(closes).to.equal(1);
  });

  it("once closing, add() closes the late resource at once and throws", async () => {
    const { closer, failures } = recordingCloser();
    await closer.close();
    let closed = false;
    expect(() =>
      closer.add("agent", async () => {
        closed = true;
      }),
    ).to.throw(CloserClosedError, "the agent was closed as soon as it started");
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).to.equal(true);
    expect(failures).to.deep.equal([]);
  });

  it("reports a late resource's failing close too", async () => {
    const { closer, failures } = recordingCloser();
    void closer.close();
    expect(() =>
      closer.add("relay", async () => {
        throw new Error("already gone");
      }),
    ).to.throw(CloserClosedError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).to.deep.equal([{ name: "relay", message: "already gone" }]);
  });
});
