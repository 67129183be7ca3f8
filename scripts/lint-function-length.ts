/**
 * Fails when a function outside tests and generated files is longer than the house limit (150 lines).
 *
 * A function is measured from its first line to its last, body included, so a factory that returns an
 * object of methods counts as one function (its methods are inside it). Nested functions are measured on
 * their own too. Usage: `node scripts/lint-function-length.ts [--max N] [--list]`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const DEFAULT_MAX_LINES = 150;

/** Paths that are tests, fixtures or generated, where the limit does not apply. */
export const EXEMPT = [
  /(^|\/)test\//,
  /(^|\/)e2e\//,
  /\.test\.tsx?$/,
  /(^|\/)deployments\/abi\.ts$/,
  /\.d\.ts$/,
  /(^|\/)generated\//,
];

export interface LongFunction {
  file: string;
  name: string;
  line: number;
  lines: number;
}

function sourceFiles(): string[] {
  const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    encoding: "utf8",
  });
  return tracked
    .split("\n")
    .filter((file) => /\.(ts|tsx|mts)$/.test(file))
    .filter((file) => !EXEMPT.some((pattern) => pattern.test(file)));
}

function functionName(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name !== undefined) {
    return node.name.getText();
  }
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return parent.name.getText();
  }
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText().slice(0, 40)})`;
  return "(anonymous)";
}

function isFunctionLike(node: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** The functions in `text` (the source of `file`, TSX when the name ends in x) longer than `maxLines`. */
export function longFunctionsIn(file: string, text: string, maxLines: number): LongFunction[] {
  const kind = file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionLike(node)) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > maxLines) found.push({ file, name: functionName(node), line: first + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function main(): void {
  const args = process.argv.slice(2);
  const maxIndex = args.indexOf("--max");
  const maxLines = maxIndex >= 0 ? Number(args[maxIndex + 1]) : DEFAULT_MAX_LINES;
  if (!Number.isInteger(maxLines) || maxLines < 1) {
    console.error(`--max takes a whole number of lines, got ${args[maxIndex + 1]}`);
    process.exit(2);
  }
  const long = sourceFiles()
    .flatMap((file) => longFunctionsIn(file, readFileSync(file, "utf8"), maxLines))
    .sort((a, b) => b.lines - a.lines);
  for (const fn of long) console.log(`${fn.lines} lines  ${fn.file}:${fn.line}  ${fn.name}`);
  if (long.length > 0) {
    console.error(`${long.length} function(s) over ${maxLines} lines outside tests and generated files`);
    process.exit(1);
  }
  console.log(`function length: every function outside tests is at most ${maxLines} lines`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
