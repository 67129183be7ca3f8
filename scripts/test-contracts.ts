/**
 * Runs every contract test (mocha + Solidity fuzz/invariant) once, instrumented for coverage, then:
 * - fails if any non-mock file under contracts/ is below MIN_COVERAGE % of lines or statements;
 * - prints one closing line `contracts: N passed, M failed` that CI can read.
 *
 *   node scripts/test-contracts.ts            (what npm test runs)
 *   MIN_COVERAGE=90 node scripts/test-contracts.ts
 */
import { spawn } from "node:child_process";

const MIN_COVERAGE = Number(process.env.MIN_COVERAGE ?? 95);

const child = spawn("npx", ["hardhat", "test", "--coverage"], { stdio: ["ignore", "pipe", "inherit"] });
let output = "";
child.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString("utf8");
  if (output.length > 16 * 1024 * 1024) output = output.slice(-8 * 1024 * 1024); // keep the tail only
});
const code: number = await new Promise((resolve) => child.on("close", (c) => resolve(c ?? 1)));

// Hardhat ends with one overall line per outcome naming the runners, e.g. "266 passing (10 solidity, 256 mocha)";
// each runner's own summary ("256 passing (3s)") comes before it and is not counted again.
const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const clean = output.replace(ansi, "");
const overall = (word: string) => {
  const m = clean.match(
    new RegExp(`^(\\d+) ${word} \\((?:\\d+ (?:mocha|solidity|nodejs)(?:, )?)+\\)\\s*$`, "m"),
  );
  return m ? Number(m[1]) : 0;
};
const passed = overall("passing");
const failed = overall("failing") || (code !== 0 ? 1 : 0);

const problems: string[] = [];
const rows = [...clean.matchAll(/║\s*(contracts\/\S+\.sol)\s*│\s*([\d.]+)\s*│\s*([\d.]+)\s*│/g)];
const checked = rows.filter((r) => !r[1]?.startsWith("contracts/mocks/"));
if (code === 0 && checked.length === 0) problems.push("no coverage table found in the output");
for (const [, file, line, statement] of checked) {
  if (Number(line) < MIN_COVERAGE) problems.push(`${file}: ${line} % of lines < ${MIN_COVERAGE} %`);
  if (Number(statement) < MIN_COVERAGE)
    problems.push(`${file}: ${statement} % of statements < ${MIN_COVERAGE} %`);
}
if (problems.length > 0) console.error(`\ncoverage check failed:\n- ${problems.join("\n- ")}`);
else if (code === 0)
  console.log(`\ncoverage: every file of contracts/ outside mocks/ >= ${MIN_COVERAGE} % (lines, statements)`);
console.log(`contracts: ${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : problems.length > 0 ? 1 : 0);
