/**
 * Runs every contract test once: the Solidity fuzz/invariant suite, then the mocha suite instrumented for
 * coverage. Then:
 * - fails if any non-mock file under contracts/ is below MIN_COVERAGE % of lines, statements or branches (branches
 *   computed from the statement hits by scripts/lib/branchCoverage.ts: both outcomes of every `if`);
 * - prints one closing line `contracts: N passed, M failed` that CI can read.
 *
 * Coverage is taken from the mocha run alone: in Hardhat 3.18 a combined `hardhat test --coverage` report
 * does not merge the mocha runner's hits into the Solidity runner's (the vault reads ~90 % there and 100 %
 * under mocha alone, and mocks that mocha exercises read 0 %).
 *
 *   node scripts/test-contracts.ts            (what npm test runs)
 *   MIN_COVERAGE=90 node scripts/test-contracts.ts
 */
import { spawn } from "node:child_process";
import { branchCoverage } from "./lib/branchCoverage.ts";

const MIN_COVERAGE = Number(process.env.MIN_COVERAGE ?? 95);

async function run(args: string[]): Promise<{ code: number; output: string }> {
  const child = spawn("npx", ["hardhat", "test", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString("utf8");
    if (output.length > 16 * 1024 * 1024) output = output.slice(-8 * 1024 * 1024); // keep the tail only
  });
  const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));
  return { code, output };
}

const solidity = await run(["solidity"]);
const mocha = await run(["mocha", "--coverage"]);
const code = solidity.code !== 0 ? solidity.code : mocha.code;
const output = `${solidity.output}\n${mocha.output}`;

// Each run (one runner each) ends with that runner's summary: "  10 passing", "  259 passing (6s)", "  2 failing".
const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const lastCount = (text: string, word: string) => {
  const hits = [...text.replace(ansi, "").matchAll(new RegExp(`^\\s*(\\d+) ${word}\\b`, "gm"))];
  return hits.length > 0 ? Number(hits[hits.length - 1]?.[1]) : 0;
};
const passed = lastCount(solidity.output, "passing") + lastCount(mocha.output, "passing");
const failed =
  lastCount(solidity.output, "failing") + lastCount(mocha.output, "failing") || (code !== 0 ? 1 : 0);
const clean = output.replace(ansi, "");

const problems: string[] = [];
const rows = [...clean.matchAll(/║\s*(contracts\/\S+\.sol)\s*│\s*([\d.]+)\s*│\s*([\d.]+)\s*│/g)];
const checked = rows.filter((r) => !r[1]?.startsWith("contracts/mocks/"));
if (code === 0 && checked.length === 0) problems.push("no coverage table found in the output");
for (const [, file, line, statement] of checked) {
  if (Number(line) < MIN_COVERAGE) problems.push(`${file}: ${line} % of lines < ${MIN_COVERAGE} %`);
  if (Number(statement) < MIN_COVERAGE)
    problems.push(`${file}: ${statement} % of statements < ${MIN_COVERAGE} %`);
}
if (code === 0 && checked.length > 0) {
  const branches = branchCoverage(
    checked.map((r) => r[1] as string),
    "coverage/data/mocha",
    "0.8.30",
  );
  console.log("\nbranches (both outcomes of every `if`, from statement hits):");
  for (const b of branches) {
    const pct = b.total === 0 ? 100 : (100 * b.covered) / b.total;
    console.log(
      `  ${b.file}: ${pct.toFixed(2)} % (${b.covered}/${b.total})${b.missed.length ? ` missed: ${b.missed.join(", ")}` : ""}`,
    );
    if (pct < MIN_COVERAGE) problems.push(`${b.file}: ${pct.toFixed(2)} % of branches < ${MIN_COVERAGE} %`);
  }
}
if (problems.length > 0) console.error(`\ncoverage check failed:\n- ${problems.join("\n- ")}`);
else if (code === 0)
  console.log(
    `\ncoverage: every file of contracts/ outside mocks/ >= ${MIN_COVERAGE} % (lines, statements, branches)`,
  );
console.log(`contracts: ${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : problems.length > 0 ? 1 : 0);
