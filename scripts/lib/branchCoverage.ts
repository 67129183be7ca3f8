/**
 * Branch coverage of the Solidity sources, computed from Hardhat's statement hits (Hardhat 3.18 reports lines and
 * statements only). Each `if` has two branches: taken when the first statement of its body ran, not taken when the
 * `if` itself was hit by more executions than that statement (or, with an `else`, when the else body's first statement
 * ran). Hardhat counts each statement once per execution, so an `if` without `else` inside a loop whose two outcomes
 * only ever happened in the same transaction is reported as not taken: conservative, never optimistic. Hits come from
 * coverage/data/<runner>/*.json; the tag of every statement is recomputed with the same EDR instrumentation Hardhat
 * used, and the `if` statements come from solc's AST (parsing only, no imports needed).
 * Not counted: ternaries, `&&`/`||` short circuits and loop conditions.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { addStatementCoverageInstrumentation } from "@nomicfoundation/edr";

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile: (input: string) => string; version: () => string };

export interface BranchReport {
  file: string;
  total: number;
  covered: number;
  /** "line N: taken|not taken" for each branch never observed. */
  missed: string[];
}

interface AstNode {
  nodeType?: string;
  src?: string;
  trueBody?: AstNode;
  falseBody?: AstNode;
  [key: string]: unknown;
}

function readHits(dir: string): Map<string, number> {
  const hits = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".json")) continue;
    const data = JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, number>;
    for (const [tag, count] of Object.entries(data)) hits.set(tag, (hits.get(tag) ?? 0) + count);
  }
  return hits;
}

function ifStatements(node: unknown, out: AstNode[]): AstNode[] {
  if (Array.isArray(node)) {
    for (const child of node) ifStatements(child, out);
  } else if (node !== null && typeof node === "object") {
    const n = node as AstNode;
    if (n.nodeType === "IfStatement") out.push(n);
    for (const value of Object.values(n)) if (typeof value === "object") ifStatements(value, out);
  }
  return out;
}

export function branchCoverage(
  files: readonly string[],
  hitsDir: string,
  solcVersion: string,
): BranchReport[] {
  const hits = readHits(hitsDir);
  const reports: BranchReport[] = [];
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    const bytes = Buffer.from(source, "utf8");
    const utf16 = (byteOffset: number) => bytes.subarray(0, byteOffset).toString("utf8").length;
    const line = (offset: number) => source.slice(0, offset).split("\n").length;
    const { metadata } = addStatementCoverageInstrumentation(source, `project/${file}`, solcVersion);
    const statements = metadata.map((m) => ({
      start: m.startUtf16,
      end: m.endUtf16,
      hits: hits.get(Buffer.from(m.tag).toString("hex")) ?? 0,
    }));
    const output = JSON.parse(
      solc.compile(
        JSON.stringify({
          language: "Solidity",
          sources: { [file]: { content: source } },
          settings: { stopAfter: "parsing", outputSelection: { "*": { "": ["ast"] } } },
        }),
      ),
    ) as { sources?: Record<string, { ast: unknown }> };
    const ast = output.sources?.[file]?.ast;
    const report: BranchReport = { file, total: 0, covered: 0, missed: [] };
    for (const node of ifStatements(ast, [])) {
      const [s, l] = (node.src ?? "0:0").split(":").map(Number) as [number, number];
      const start = utf16(s);
      const end = utf16(s + l);
      // Statement ranges run from the start of the line to its end, so match by containment: the innermost
      // statement containing the `if`, and the first other statement inside its body.
      const self = statements
        .filter((st) => st.start <= start && st.end >= end)
        .sort((a, b) => b.start - a.start)[0];
      const [bs, bl] = (node.trueBody?.src ?? "0:0").split(":").map(Number) as [number, number];
      const bodyStart = utf16(bs);
      const bodyEnd = utf16(bs + bl);
      const first = statements
        .filter(
          (st) =>
            st !== self &&
            st.end > bodyStart &&
            st.start < bodyEnd &&
            self !== undefined &&
            st.start >= self.start,
        )
        .sort((a, b) => a.start - b.start || b.end - a.end)[0];
      if (self === undefined || first === undefined) continue;
      // With an else: the not-taken branch ran iff the else body's first statement ran.
      let elseFirst: (typeof statements)[number] | undefined;
      if (node.falseBody?.src !== undefined) {
        const [es, el] = node.falseBody.src.split(":").map(Number) as [number, number];
        const elseStart = utf16(es);
        const elseEnd = utf16(es + el);
        elseFirst = statements
          .filter((st) => st !== self && st.end > elseStart && st.start < elseEnd && st.start >= bodyEnd)
          .sort((a, b) => a.start - b.start || b.end - a.end)[0];
      }
      report.total += 2;
      if (first.hits > 0) report.covered += 1;
      else report.missed.push(`line ${line(start)}: taken`);
      const notTaken = elseFirst !== undefined ? elseFirst.hits > 0 : self.hits > first.hits;
      if (notTaken) report.covered += 1;
      else report.missed.push(`line ${line(start)}: not taken`);
    }
    reports.push(report);
  }
  return reports;
}
