/**
 * Gas benchmark for CommitmentVault and ChallengePool.
 *
 *   node scripts/gas-report.ts           run the scenario, write docs/gas.md and docs/gas-snapshot.json
 *   node scripts/gas-report.ts --check   run the scenario, fail if a budget is exceeded, a contract is over the
 *                                        EIP-170 size limit, or the committed snapshot differs from what was
 *                                        measured (update it with `npm run gas`)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SNAPSHOT = "docs/gas-snapshot.json";
const REPORT = "docs/gas.md";
/** Each scenario runs on its own fresh chain; their samples are merged (labels are distinct). */
const SCENARIOS = [
  { file: "bench/gas/vault.gas.ts", contract: "CommitmentVault.sol:CommitmentVault" },
  { file: "bench/gas/pool.gas.ts", contract: "ChallengePool.sol:ChallengePool" },
];

interface Budget {
  label: string;
  limit: number;
  value: (m: Record<string, number>) => number | undefined;
}

/** A budget on one measured case's median. */
function budget(label: string, limit: number): Budget {
  return { label, limit, value: (m) => m[label] };
}

/** Issue 13 budgets (median gas, the project's optimizer settings: 10,000 runs, prague). */
const BUDGETS: Budget[] = [
  budget("createCommitment (ETH)", 125_000),
  budget("createCommitment (ERC-20, approved)", 152_000),
  budget("claimMilestone (ETH, 1 signature)", 58_000),
  {
    label: "each extra signature (2nd and 3rd, worst of the two)",
    limit: 6_500,
    value: (m) => {
      const [one, two, three] = [1, 2, 3].map(
        (n) => m[`claimMilestone (ETH, ${n} signature${n > 1 ? "s" : ""})`],
      );
      if (one === undefined || two === undefined || three === undefined) return undefined;
      return Math.max(two - one, three - two);
    },
  },
  budget("slash (ETH, first credit)", 63_000),
  budget("slash (ETH, later credit)", 45_500),
  // Issue 14 (ChallengePool): the vault's create plus the pool's seat, a cold read of the challenge and the pull.
  budget("join (ETH)", 185_000),
  budget("join (ERC-20, approved)", 220_000),
  budget("settleParticipant (8 milestones, finisher)", 65_000),
  budget("settleParticipant (8 milestones, out)", 95_000),
  budget("claimWinnings (ETH)", 56_000),
  budget("claimWinnings (ERC-20)", 66_000),
  budget("claimWinnings (ERC-20, pulls the pool's vault credits)", 95_000),
];

/** EIP-170: the most runtime bytecode a contract may deploy. */
const CODE_SIZE_LIMIT = 24_576;
const SIZED = [
  "artifacts/contracts/CommitmentVault.sol/CommitmentVault.json",
  "artifacts/contracts/CommitmentVaultExtension.sol/CommitmentVaultExtension.json",
  "artifacts/contracts/ChallengePool.sol/ChallengePool.json",
];

function codeSizes(): { rows: string[]; failures: string[] } {
  const rows: string[] = [];
  const failures: string[] = [];
  for (const file of SIZED) {
    const artifact = JSON.parse(readFileSync(file, "utf8")) as {
      contractName: string;
      deployedBytecode: string;
    };
    const size = (artifact.deployedBytecode.length - 2) / 2;
    const ok = size <= CODE_SIZE_LIMIT;
    if (!ok) failures.push(`${artifact.contractName}: ${size} bytes > EIP-170 limit ${CODE_SIZE_LIMIT}`);
    rows.push(
      `| ${artifact.contractName} | ${size.toLocaleString("en-US")} | ${CODE_SIZE_LIMIT.toLocaleString("en-US")} | ${ok ? "ok" : "OVER"} |`,
    );
  }
  return { rows, failures };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

function runScenario(): { medians: Record<string, number>; counts: Record<string, number>; stats: string } {
  const all: Record<string, number[]> = {};
  const blocks: string[] = [];
  for (const scenario of SCENARIOS) {
    const dir = mkdtempSync(join(tmpdir(), "gas-"));
    const out = join(dir, "samples.json");
    try {
      const run = spawnSync("npx", ["hardhat", "test", "mocha", scenario.file, "--gas-stats"], {
        encoding: "utf8",
        env: { ...process.env, GAS_SAMPLES_OUT: out },
        maxBuffer: 64 * 1024 * 1024,
      });
      if (run.status !== 0) {
        process.stderr.write(run.stdout + run.stderr);
        throw new Error(`gas scenario ${scenario.file} failed with exit code ${run.status}`);
      }
      const samples = JSON.parse(readFileSync(out, "utf8")) as Record<string, number[]>;
      for (const [label, values] of Object.entries(samples)) {
        if (label in all) throw new Error(`gas label ${label} is measured by two scenarios`);
        all[label] = values;
      }
      // Keep the scenario contract's block of Hardhat's --gas-stats table for the report.
      const lines = run.stdout.split("\n");
      const startAt = lines.findIndex((l) => l.includes(scenario.contract));
      const endAt = lines.findIndex((l, i) => i > startAt && l.startsWith("╚"));
      blocks.push(
        startAt > 0 && endAt > startAt ? lines.slice(startAt - 1, endAt + 1).join("\n") : "(not found)",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const medians: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const [label, values] of Object.entries(all)) {
    medians[label] = median(values);
    counts[label] = values.length;
  }
  return { medians, counts, stats: blocks.join("\n\n") };
}

function budgetRows(medians: Record<string, number>): { rows: string[]; failures: string[] } {
  const rows: string[] = [];
  const failures: string[] = [];
  for (const b of BUDGETS) {
    const v = b.value(medians);
    if (v === undefined) {
      failures.push(`${b.label}: not measured`);
      continue;
    }
    const ok = v <= b.limit;
    if (!ok) failures.push(`${b.label}: ${v} > budget ${b.limit}`);
    rows.push(
      `| ${b.label} | ${v.toLocaleString("en-US")} | ${b.limit.toLocaleString("en-US")} | ${ok ? "ok" : "OVER"} |`,
    );
  }
  return { rows, failures };
}

const check = process.argv.includes("--check");
const { medians, counts, stats } = runScenario();
const { rows, failures } = budgetRows(medians);
// The scenario built the contracts, so the artifacts are current.
const sizes = codeSizes();
failures.push(...sizes.failures);
const eas = medians["EAS attestation + resolver release (per milestone)"];
const claim1 = medians["claimMilestone (ETH, 1 signature)"];
const easLine =
  eas !== undefined && claim1 !== undefined
    ? `Per milestone, measured in this run: the vault's claim (1 signature) ${claim1.toLocaleString("en-US")} gas; an EAS attestation whose resolver releases the share ${eas.toLocaleString("en-US")} gas. Ratio ${(claim1 / eas).toFixed(2)}.`
    : "(EAS comparison not measured)";

if (check) {
  const snapshot = JSON.parse(readFileSync(SNAPSHOT, "utf8")) as Record<string, number>;
  for (const [label, value] of Object.entries(medians)) {
    if (snapshot[label] !== value) {
      failures.push(
        `snapshot drift: ${label} measured ${value}, snapshot ${snapshot[label] ?? "missing"} (run npm run gas)`,
      );
    }
  }
  for (const label of Object.keys(snapshot)) {
    if (!(label in medians))
      failures.push(`snapshot drift: ${label} is in the snapshot but was not measured`);
  }
  console.log("| case | median gas | budget | |\n|---|---:|---:|---|");
  console.log(rows.join("\n"));
  console.log("\n| contract | runtime bytes | EIP-170 limit | |\n|---|---:|---:|---|");
  console.log(sizes.rows.join("\n"));
  console.log(`\n${easLine}`);
  if (failures.length > 0) {
    console.error(`\ngas check failed:\n- ${failures.join("\n- ")}`);
    process.exit(1);
  }
  console.log("\ngas check: all budgets met, snapshot matches");
} else {
  const sorted = Object.fromEntries(Object.entries(medians).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(SNAPSHOT, `${JSON.stringify(sorted, null, 2)}\n`);
  const template = readFileSync(REPORT, "utf8");
  const measured = Object.entries(sorted)
    .map(([label, v]) => `| ${label} | ${v.toLocaleString("en-US")} | ${counts[label]} |`)
    .join("\n");
  const generated = [
    "<!-- generated by `npm run gas`: everything between these markers is rewritten -->",
    "### Budgets (median, optimizer on)",
    "",
    "| case | median gas | budget | |",
    "|---|---:|---:|---|",
    ...rows,
    "",
    "### Code size (EIP-170)",
    "",
    "| contract | runtime bytes | EIP-170 limit | |",
    "|---|---:|---:|---|",
    ...sizes.rows,
    "",
    "### The alternative design, same run",
    "",
    easLine,
    "",
    "### Every measured case",
    "",
    "| case | median gas | samples |",
    "|---|---:|---:|",
    measured,
    "",
    "### Hardhat `--gas-stats` for the same run",
    "",
    "```text",
    stats,
    "```",
    "<!-- end generated -->",
  ].join("\n");
  const next = template.replace(/<!-- generated by[\s\S]*<!-- end generated -->/, generated);
  writeFileSync(REPORT, next);
  console.log(rows.join("\n"));
  console.log(sizes.rows.join("\n"));
  console.log(easLine);
  if (failures.length > 0) {
    console.error(`\nover budget:\n- ${failures.join("\n- ")}`);
    process.exit(1);
  }
}
