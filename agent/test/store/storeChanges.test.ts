import { expect } from "chai";
import { createStoreChangeFeed, type StoreChange } from "../../src/store/storeChanges.ts";

describe("store change feed", () => {
  const change: StoreChange = { kind: "workouts", owner: "0x00000000000000000000000000000000000000aa" };

  it("tells every listener, hands a listener's failure to onError and goes on with the others", () => {
    const failures: unknown[] = [];
    const feed = createStoreChangeFeed((error) => failures.push(error));
    const heard: string[] = [];
    const bug = new Error("listener bug");
    feed.subscribe(() => heard.push("first"));
    feed.subscribe(() => {
      throw bug;
    });
    feed.subscribe(() => heard.push("third"));
    feed.publish(change);
    expect(heard).to.deep.equal(["first", "third"]);
    expect(failures).to.deep.equal([bug]);
  });

  it("keeps two subscriptions of one function apart, and ends each with its own unsubscribe", () => {
    const feed = createStoreChangeFeed(() => {});
    const heard: StoreChange[] = [];
    const listener = (c: StoreChange) => heard.push(c);
    const stopFirst = feed.subscribe(listener);
    const stopSecond = feed.subscribe(listener);
    feed.publish(change);
    expect(heard).to.have.length(2);
    stopFirst();
    feed.publish(change);
    expect(heard).to.have.length(3);
    stopSecond();
    feed.publish(change);
    expect(heard).to.have.length(3);
  });
});
