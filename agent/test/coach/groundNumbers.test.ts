import { expect } from "chai";
import { groundReply, ungroundedNumbers } from "../../src/coach/agent/groundNumbers.ts";

describe("groundNumbers", () => {
  it("grounds a number by a whole number token of a tool result", () => {
    expect(ungroundedNumbers("25 USDC, 3 left", ['{"stake":"25 USDC","left":3}'])).to.deep.equal([]);
    expect(ungroundedNumbers("25 USDC", ['{"stake":"250 USDC"}'])).to.deep.equal(["25"]);
  });

  it("never grounds a number by the digits inside an address, a hash or a UUID", () => {
    const sources = [
      JSON.stringify({
        owner: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        contentHash: "0xab97cd0000000000000000000000000000000000000000000000000000000001",
        workoutId: "3f2a97b1-4e5d-4c3b-9a8f-0123456789ab",
        uploadId: "deadbeef97",
      }),
    ];
    expect(ungroundedNumbers("97% chance, 44 more, 4293 left, 4 of 5", sources)).to.deep.equal([
      "97",
      "44",
      "4293",
      "4",
      "5",
    ]);
    expect(groundReply("97% sure", sources).text).to.equal("?% sure");
  });

  it("still grounds dates, times and amounts next to identifiers", () => {
    const sources = [
      '{"id":"3f2a97b1-4e5d-4c3b-9a8f-0123456789ab","deadline":"2026-12-05T10:30:00Z","eth":"0.05"}',
    ];
    expect(ungroundedNumbers("by 2026-12-05 at 10:30, 0.05 ETH", sources)).to.deep.equal([]);
  });

  it("handles a long run of hex characters and dashes in one pass (the whole source is one token)", () => {
    const long = "a1-".repeat(100_000);
    expect(ungroundedNumbers("1 left", [long, '{"left":1}'])).to.deep.equal([]);
    expect(ungroundedNumbers("7 left", [long])).to.deep.equal(["7"]);
  });
});
