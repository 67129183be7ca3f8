/**
 * The 1:1 mapping between Sablier-style `.tree` files and mocha test names (checked by test/trees/treeMapping.test.ts).
 *
 * From a tree's nodes to mocha titles:
 * - a function (an unindented line) is a top-level `describe("<function>")`;
 * - a condition ("when ..." / "given ...") whose children are all results ("it should ...") is one
 *   `it("<condition>: it should <a>, <b> and <c>")` (an Oxford comma is fine);
 * - a condition with conditions among its children is a `describe("<condition>")` holding, for each of its direct
 *   results, an `it("it should <result>")`, and its child conditions mapped the same way.
 * Each expected test must exist exactly once, and a tree's test file holds no test the tree does not name.
 */
import ts from "typescript";

interface TreeNode {
  text: string;
  children: TreeNode[];
}

/** The trees of one file: one root per function. */
export function parseTree(source: string): TreeNode[] {
  const roots: TreeNode[] = [];
  const stack: TreeNode[] = [];
  for (const raw of source.split("\n")) {
    const line = raw.trimEnd();
    if (line.trim() === "") continue;
    const branch = line.search(/[├└]── /);
    if (branch === -1) {
      const root = { text: line.trim(), children: [] };
      roots.push(root);
      stack.length = 0;
      stack.push(root);
      continue;
    }
    const depth = branch / 4 + 1;
    const node = { text: line.slice(branch + 4).trim(), children: [] };
    const parent = stack[depth - 1];
    if (parent === undefined) throw new Error(`tree line without a parent: ${line}`);
    parent.children.push(node);
    stack.length = depth;
    stack.push(node);
  }
  return roots;
}

const isResult = (node: TreeNode) => node.text.startsWith("it should ");

/** "it should a", "it should b", "it should c" -> the accepted titles "it should a, b and c" (and ", and c"). */
function joinedResults(results: readonly TreeNode[]): string[] {
  const items = results.map((r) => r.text.slice("it should ".length));
  if (items.length === 1) return [`it should ${items[0]}`];
  const head = items.slice(0, -1).join(", ");
  const last = items[items.length - 1];
  return [`it should ${head} and ${last}`, `it should ${head}, and ${last}`];
}

/** Expected tests: each is a describe path plus the accepted titles of one `it`. */
interface Expected {
  path: string[];
  titles: string[];
}

function expectedOf(node: TreeNode, path: string[], out: Expected[]) {
  const conditions = node.children.filter((c) => !isResult(c));
  const results = node.children.filter(isResult);
  if (conditions.length === 0 && path.length > 0) {
    const prefix = path.slice(0, -1);
    out.push({ path: prefix, titles: joinedResults(results).map((t) => `${node.text}: ${t}`) });
    return;
  }
  for (const result of results) out.push({ path, titles: [result.text] });
  for (const condition of conditions) expectedOf(condition, [...path, condition.text], out);
}

/** Expected tests of a whole `.tree` file. */
export function expectedTests(source: string): Expected[] {
  const out: Expected[] = [];
  for (const root of parseTree(source)) {
    // A function's direct results (rare) are tests of its describe; its conditions are mapped below it.
    for (const result of root.children.filter(isResult))
      out.push({ path: [root.text], titles: [result.text] });
    for (const child of root.children.filter((c) => !isResult(c)))
      expectedOf(child, [root.text, child.text], out);
  }
  return out;
}

/** Every `it(...)` of a test file with the titles of the `describe(...)` calls around it. */
export function actualTests(source: string, fileName = "test.ts"): string[][] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const tests: string[][] = [];
  const visit = (node: ts.Node, path: string[]) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const name = node.expression.text;
      const [first] = node.arguments;
      const title =
        first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))
          ? first.text
          : undefined;
      if (title !== undefined && name === "describe") {
        for (const arg of node.arguments.slice(1)) visit(arg, [...path, title]);
        return;
      }
      if (title !== undefined && name === "it") {
        tests.push([...path, title]);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, path));
  };
  visit(file, []);
  return tests;
}

/** The mismatches between a tree and its test file, in words (empty when they map 1:1). */
export function mismatches(treeSource: string, testSource: string): string[] {
  const actual = actualTests(testSource).map((t) => t.join(" > "));
  const used = new Map<string, number>();
  for (const a of actual) used.set(a, (used.get(a) ?? 0) + 1);
  const problems: string[] = [];
  const claimed = new Set<string>();
  for (const e of expectedTests(treeSource)) {
    const hits = e.titles.map((t) => [...e.path, t].join(" > ")).filter((key) => used.has(key));
    if (hits.length === 0) problems.push(`no test for: ${[...e.path, e.titles[0]].join(" > ")}`);
    for (const key of hits) {
      if ((used.get(key) ?? 0) > 1) problems.push(`more than one test named: ${key}`);
      claimed.add(key);
    }
  }
  for (const a of actual) if (!claimed.has(a)) problems.push(`test not in the tree: ${a}`);
  return problems;
}
