import { expect } from "chai";
import { EXEMPT, longFunctionsIn } from "../../scripts/lint-function-length.ts";

/** A function of `bodyLines` statements between its opening and closing lines. */
function body(bodyLines: number): string {
  return Array.from({ length: bodyLines }, (_, i) => `  const v${i} = ${i};`).join("\n");
}

describe("scripts/lint-function-length", () => {
  it("measures a function from its first line to its last, and reports the long ones only", () => {
    const text = [
      `export function short() {\n${body(3)}\n}`,
      `export function exactlyTen() {\n${body(8)}\n}`,
      `export function eleven() {\n${body(9)}\n}`,
    ].join("\n");
    const long = longFunctionsIn("a.ts", text, 10);
    expect(long).to.deep.equal([{ file: "a.ts", name: "eleven", line: 16, lines: 11 }]);
  });

  it("counts a factory returning an object of methods as one function, and names arrows by their variable", () => {
    const text = `export const makeThing = () => ({\n  one() {\n${body(4)}\n  },\n  two() {\n${body(4)}\n  },\n});`;
    const long = longFunctionsIn("b.ts", text, 10);
    expect(long.map((fn) => [fn.name, fn.lines])).to.deep.equal([["makeThing", 14]]);
  });

  it("measures nested functions on their own and reads TSX", () => {
    const inner = `  function inner() {\n${body(12)}\n  }`;
    const text = `export function Outer() {\n${inner}\n  return <div>{inner()}</div>;\n}`;
    const long = longFunctionsIn("c.tsx", text, 10);
    expect(long.map((fn) => `${fn.name}:${fn.lines}`).sort()).to.deep.equal(["Outer:17", "inner:14"]);
  });

  it("exempts tests, end-to-end specs, declaration files and generated code, not sources", () => {
    const exempt = (file: string) => EXEMPT.some((pattern) => pattern.test(file));
    expect(
      ["agent/test/x.ts", "web/e2e/run.ts", "web/src/a.test.tsx", "deployments/abi.ts", "x.d.ts"].map(exempt),
    ).to.deep.equal([true, true, true, true, true]);
    expect(exempt("packages/vocabulary/src/generated/contractConstants.ts")).to.equal(true);
    expect(
      ["agent/src/assembleAgent.ts", "web/src/routes/Dashboard.tsx", "scripts/demo/journey.ts"].map(exempt),
    ).to.deep.equal([false, false, false]);
  });
});
