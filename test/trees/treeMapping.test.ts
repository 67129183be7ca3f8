/**
 * Every Sablier-style `.tree` under test/trees (the vault's and, in pool/, the ChallengePool's) maps 1:1 onto the
 * test names of the `.test.ts` beside it (rules in test/helpers/treeMapping.ts), so a branch cannot be added, renamed
 * or dropped on one side only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "chai";
import { mismatches } from "../helpers/treeMapping.js";

const TREES = join(import.meta.dirname);

function treeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return treeFiles(path);
    return entry.name.endsWith(".tree") ? [path] : [];
  });
}

describe("tree files map 1:1 onto test names", () => {
  const trees = treeFiles(TREES);

  it("finds the vault's and the pool's trees", () => {
    const names = trees.map((t) => relative(TREES, t)).sort();
    expect(names).to.include.members([
      "appeal.tree",
      "claimMilestone.tree",
      "exit.tree",
      "slash.tree",
      "pool/claimWinnings.tree",
      "pool/createChallenge.tree",
      "pool/join.tree",
      "pool/settleParticipant.tree",
      "pool/withdraw.tree",
    ]);
  });

  for (const tree of trees) {
    const name = relative(TREES, tree);
    it(`${name} and ${name.replace(/\.tree$/, ".test.ts")}`, () => {
      const testFile = tree.replace(/\.tree$/, ".test.ts");
      const problems = mismatches(readFileSync(tree, "utf8"), readFileSync(testFile, "utf8"));
      expect(problems, problems.join("\n")).to.deep.equal([]);
    });
  }

  it("the check itself fails on a missing, a renamed and an extra test", () => {
    const tree = [
      "f",
      "├── when a",
      "│   └── it should x",
      "└── when b",
      "    ├── it should y",
      "    └── it should z",
    ].join("\n");
    const good = `describe("f", () => { it("when a: it should x", () => {}); it("when b: it should y and z", () => {}); });`;
    expect(mismatches(tree, good)).to.deep.equal([]);
    const missing = `describe("f", () => { it("when a: it should x", () => {}); });`;
    expect(mismatches(tree, missing)).to.deep.equal(["no test for: f > when b: it should y and z"]);
    const renamed = `describe("f", () => { it("when a: it should x", () => {}); it("when b: it should y", () => {}); });`;
    expect(mismatches(tree, renamed)).to.deep.equal([
      "no test for: f > when b: it should y and z",
      "test not in the tree: f > when b: it should y",
    ]);
    const extra = `describe("f", () => { it("when a: it should x", () => {}); it("when b: it should y, and z", () => {}); it("other", () => {}); });`;
    expect(mismatches(tree, extra)).to.deep.equal(["test not in the tree: f > other"]);
  });
});
