import { expect } from "chai";
import { rereadPages } from "../../src/chain/logFollower.ts";
import { DependencyError } from "../../src/errors.ts";
import type { Repositories } from "../../src/store/store.ts";

/** `count` rows with ids from 1, listed after `afterId` in pages of the asked size. */
function rows(count: number) {
  const all = Array.from({ length: count }, (_, i) => ({ id: i + 1 }));
  const asked: (number | undefined)[] = [];
  const list = async (page: { limit: number; afterId?: number }) => {
    asked.push(page.afterId);
    // Ids are 1..count, so the rows after `afterId` start at index `afterId`.
    const start = page.afterId ?? 0;
    return all.slice(start, start + page.limit);
  };
  return { list, asked };
}

const tx = {} as Repositories;

describe("chain: rereadPages (a reorg repair's reads, committed as one)", () => {
  it("reads every page first and writes nothing until the answer is committed, then every page in order", async () => {
    const { list, asked } = rows(450);
    const written: number[] = [];
    const write = await rereadPages<{ id: number }, number, "afterId">({
      cursor: "afterId",
      list,
      afterOf: (last) => last.id,
      reread: async (page) => async () => {
        written.push(...page.map((row) => row.id));
        return { updated: page.length - 1, removed: 1 };
      },
    });
    expect(asked).to.deep.equal([undefined, 200, 400]);
    expect(written).to.deep.equal([]);
    expect(await write(tx)).to.deep.equal({ updated: 447, removed: 3 });
    expect(written).to.deep.equal(Array.from({ length: 450 }, (_, i) => i + 1));
  });

  it("stops at an empty first page with nothing to write", async () => {
    const write = await rereadPages<{ id: number }, number, "afterId">({
      cursor: "afterId",
      list: rows(0).list,
      afterOf: (last) => last.id,
      reread: async () => expect.fail("no page to read"),
    });
    expect(await write(tx)).to.deep.equal({ updated: 0, removed: 0 });
  });

  it("fails before reading anything again when the repair would read more than 200 000 rows", async () => {
    let reads = 0;
    const attempt = rereadPages<{ id: number }, number, "afterId">({
      cursor: "afterId",
      list: rows(200_001).list,
      afterOf: (last) => last.id,
      reread: async () => {
        reads += 1;
        return async () => expect.fail("nothing is written");
      },
    });
    const error = await attempt.then(
      () => expect.fail("expected a failure"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(DependencyError);
    expect((error as DependencyError).code).to.equal("reorg_repair_too_large");
    expect(reads).to.equal(0);
  });

  it("reads exactly 200 000 rows again (the bound itself is allowed)", async () => {
    let reread = 0;
    const write = await rereadPages<{ id: number }, number, "afterId">({
      cursor: "afterId",
      list: rows(200_000).list,
      afterOf: (last) => last.id,
      reread: async (page) => {
        reread += page.length;
        return async () => ({ updated: page.length, removed: 0 });
      },
    });
    expect(reread).to.equal(200_000);
    expect(await write(tx)).to.deep.equal({ updated: 200_000, removed: 0 });
  });
});
