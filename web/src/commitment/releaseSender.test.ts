import { describe, expect, it, vi } from "vitest";
import { releaseSenderOf } from "./releaseSender.ts";

const OWNER = "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097" as const;
const RELAYER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as const;
const VAULT = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const HASH = `0x${"ab".repeat(32)}` as const;
const P = { vault: VAULT, owner: OWNER, commitmentId: 7n, index: 2, fromBlock: 100n };

function client(logs: unknown[] | Error, from: string = RELAYER) {
  return {
    getLogs: vi.fn(async (_: unknown) => {
      if (logs instanceof Error) throw logs;
      return logs;
    }),
    getTransaction: vi.fn(async (_: unknown) => ({ from })),
  };
}

describe("releaseSenderOf", () => {
  it("asks for this commitment's and milestone's MilestoneReleased log from the deployment block", async () => {
    const c = client([{ transactionHash: HASH }]);
    await expect(releaseSenderOf(c as never, P)).resolves.toBe("other");
    const query = c.getLogs.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(query).toMatchObject({ address: VAULT, args: { id: 7n, index: 2n }, fromBlock: 100n });
    expect((query.event as { name: string }).name).toBe("MilestoneReleased");
    expect(c.getTransaction).toHaveBeenCalledWith({ hash: HASH });
  });

  it("tells the owner's own claim (any address case) from someone else's", async () => {
    await expect(
      releaseSenderOf(client([{ transactionHash: HASH }], OWNER.toLowerCase()) as never, P),
    ).resolves.toBe("owner");
  });

  it("answers null without a log, or when the RPC refuses the range", async () => {
    await expect(releaseSenderOf(client([]) as never, P)).resolves.toBeNull();
    await expect(releaseSenderOf(client(new Error("range too large")) as never, P)).resolves.toBeNull();
  });
});
