/**
 * `npm run demo` as a test: runs `node scripts/demo.ts` (a fresh Hardhat node, the vault deployed, the agent in
 * process) and reads its report. The demo checks each step itself and exits 1 when one does not hold; this
 * test also recomputes the key numbers from the printed report, so a report that says the wrong thing fails
 * too.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { expect } from "chai";
import { parseEther } from "viem";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DEMO_TIMEOUT_MS = 240_000;

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/demo.ts"], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGINT"), DEMO_TIMEOUT_MS - 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The lines of the step whose title contains `title` (up to the next numbered step). */
function stepLines(report: string, title: string): string[] {
  const lines = report.split("\n");
  const start = lines.findIndex((line) => /^\d+\. /.test(line) && line.includes(title));
  if (start === -1) throw new Error(`no step "${title}" in the report`);
  const end = lines.findIndex((line, i) => i > start && (/^\d+\. /.test(line) || line === "Summary"));
  return lines.slice(start, end === -1 ? undefined : end);
}

function match(lines: readonly string[], pattern: RegExp): RegExpMatchArray {
  for (const line of lines) {
    const found = line.match(pattern);
    if (found !== null) return found;
  }
  throw new Error(`no line matches ${pattern}:\n${lines.join("\n")}`);
}

describe("npm run demo", function () {
  this.timeout(DEMO_TIMEOUT_MS);
  let run: DemoRun;

  before(async () => {
    run = await runDemo();
  });

  it("runs the whole journey and exits 0", () => {
    expect(run.code, `demo exited ${run.code}\n${run.stdout}\n${run.stderr}`).to.equal(0);
    expect(run.stdout).to.include("demo: every step held");
  });

  it("uploads FIT, GPX and TCX files and rejects the car ride with its reason", () => {
    const lines = stepLines(run.stdout, "uploads her week's device files");
    for (const name of ["monday-run.fit", "tuesday-ride.gpx", "wednesday-run.tcx"]) {
      const at = lines.findIndex((line) => line.trimStart().startsWith(name));
      expect(at, name).to.be.greaterThan(-1);
      expect(lines[at + 1], name).to.match(/→ accepted: .* counts for #1 week 1$/);
    }
    const car = lines.findIndex((line) => line.trimStart().startsWith("thursday-run.gpx"));
    expect(lines[car + 1]).to.match(/→ rejected: run,/);
    expect(lines[car + 2]).to.match(/^\s+implausible_speed: /);
    expect(lines.join("\n")).to.include("✓ Alice's week 1: 3 of 3 qualifying workouts");
  });

  it("pays Alice her milestone share minus the gas she paid, to the wei", () => {
    const lines = stepLines(run.stdout, "Alice claims week 1");
    const [, before, after] = match(lines, /^\s+Alice ETH\s+([\d.]+) ETH → ([\d.]+) ETH/);
    const [, received, share, fee] = match(
      lines,
      /✓ claim: Alice's balance \+([\d.]+) ETH = milestone share ([\d.]+) ETH − gas fee ([\d.]+) ETH$/,
    );
    const [, gasUsed] = match(lines, /gas used ([\d,]+), fee/);
    expect(Number(gasUsed?.replaceAll(",", ""))).to.be.greaterThan(21_000);
    expect(share).to.equal("0.1");
    expect(parseEther(fee ?? "0") > 0n, "a gas fee was paid").to.equal(true);
    expect(parseEther(after ?? "0") - parseEther(before ?? "0")).to.equal(
      parseEther(share ?? "0") - parseEther(fee ?? "0"),
    );
    expect(parseEther(received ?? "0")).to.equal(parseEther(after ?? "0") - parseEther(before ?? "0"));
  });

  it("slashes Bob's missed week through the keeper and credits the beneficiary", () => {
    const lines = stepLines(run.stdout, "the agent's keeper slashes Bob's week");
    match(lines, /keeper run\s+due 1, slashed 1, dropped 0/);
    match(lines, /^\s+tx\s+0x[0-9a-f]{64}$/);
    match(lines, /Charity credit USDC\s+0 USDC → 100 USDC/);
    match(
      lines,
      /✓ slash: keeper slashed commitment #2 week 1 \(tx 0x[0-9a-f]{8}…[0-9a-f]{6}\): 100 USDC credited/,
    );
    const withdrawal = stepLines(run.stdout, "Charity withdraws");
    match(withdrawal, /Charity USDC\s+0 USDC → 100 USDC/);
  });

  it("nudges Bob, who is behind, and answers his question from his data", () => {
    const lines = stepLines(run.stdout, "The coach's pass");
    match(lines, /nudge → Bob \[behind_pace, [^\]]+\]: "0 of 3 done/);
    match(lines, /Alice's nudges\s+0 /);
    match(lines, /coach: .*0 of 3 workouts done/);
    match(lines, /409 requirement_not_met/);
  });

  it("ends with the summary: transactions, milestone states on chain and in the agent", () => {
    const summary = run.stdout.slice(run.stdout.indexOf("\nSummary\n"));
    expect(summary).to.match(/claimMilestone \(week 1\)\s+Alice\s+0x[0-9a-f]{8}…[0-9a-f]{6}\s+[\d,]+/);
    expect(summary).to.match(/#1\s+Alice\s+0\.3 ETH\s+Released, Open, Open\s+Released, Open, Open/);
    expect(summary).to.match(/#2\s+Bob\s+300 USDC\s+Slashed, Open, Open\s+Slashed, Open, Open/);
    expect(summary).to.match(/ETH\s+0\.2 ETH/);
    expect(summary).to.match(/USDC\s+200 USDC/);
  });

  it("plays a challenge pool: two finishers split the missed weeks minus the fee, to the wei", () => {
    const chapter = run.stdout.slice(run.stdout.indexOf("Chapter 2: a challenge pool"));
    expect(chapter).to.not.equal("");
    // The coach knows the pool: the nudge and the answer carry who is still in and the pot.
    const week3 = stepLines(chapter, "Pool week 3, Thursday noon");
    match(
      week3,
      /nudge → Frank \[behind_pace\]: ".*Challenge #1: 2 of 4 still in, the pot is 0\.2 ETH so far;/,
    );
    match(
      week3,
      /coach: .*Challenge #1: 2 of 4 still in, the pot is 0\.2 ETH so far\. .*about 0\.095 ETH each/,
    );
    const keeper = stepLines(chapter, "the keeper slashes the missed weeks");
    match(keeper, /Erin\s+Released, Slashed, Released$/);
    match(keeper, /Frank\s+Released, Slashed, Slashed$/);
    match(keeper, /✓ 0\.3 ETH of missed weeks credited to the pool/);
    match(
      stepLines(chapter, "settler settles every participant"),
      /settler run\s+due 4, settled 4, dropped 0/,
    );
    const table = stepLines(chapter, "Pool balances");
    const row = (who: string) => {
      const [, ...cells] = match(
        table,
        new RegExp(
          `^\\s+${who}\\s{2,}.+?\\s{2,}([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([\\d.]+)\\s+([-+]?[\\d.]+)$`,
        ),
      );
      return cells.map((cell) => parseEther((cell ?? "0").replace("+", "")));
    };
    const stake = parseEther("0.3");
    const pot = parseEther("0.3");
    const each = (pot * 9_500n) / 10_000n / 2n;
    expect(row("Carol")).to.deep.equal([stake, stake, each, 0n, 0n, 0n, each]);
    expect(row("Dave")).to.deep.equal([stake, stake, each, 0n, 0n, 0n, each]);
    expect(row("Erin")).to.deep.equal([
      stake,
      parseEther("0.2"),
      0n,
      parseEther("0.1"),
      0n,
      0n,
      -parseEther("0.1"),
    ]);
    expect(row("Frank")).to.deep.equal([
      stake,
      parseEther("0.1"),
      0n,
      parseEther("0.2"),
      0n,
      0n,
      -parseEther("0.2"),
    ]);
    expect(row("Host")).to.deep.equal([0n, 0n, 0n, 0n, pot - 2n * each, 0n, pot - 2n * each]);
    match(
      table,
      /✓ stakes in 1\.2 ETH = returned \+ winnings \+ fee \+ fallback 1\.2 ETH; the pool holds 0 ETH/,
    );
  });
});
