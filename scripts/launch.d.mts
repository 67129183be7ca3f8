// Types of scripts/launch.mjs (plain JavaScript so that an old Node can run it), for the tests that import it.
export declare const MINIMUM_NODE: string;
export declare const REEXEC_FLAG: string;
export declare function compareVersions(a: string, b: string): -1 | 0 | 1;
export type NodeDecision = { action: "run" } | { action: "reexec" | "fail"; reason: string };
export declare function nodeDecision(input: {
  version: string;
  reexecuted: boolean;
  minimum?: string;
}): NodeDecision;
export declare function node22Home(env: Record<string, string | undefined>, home?: string): string;
export declare function installReason(input: {
  root: string;
  requireFrom?: (id: string) => unknown;
}): string | null;
export declare function exitCodeOf(
  code: number | null,
  signal: string | null,
  signals?: Record<string, number>,
): number;
