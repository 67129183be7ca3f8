/**
 * First-screen JavaScript budget: gzips the entry chunk of the build and every chunk it imports statically
 * (from dist/.vite/manifest.json), prints the total and fails above the budget (default 250 kB gzip).
 *
 *   node web/scripts/bundleSize.ts [--budget-kb 250] [--dist web/dist]
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { z } from "zod";

const manifestSchema = z.record(
  z.string(),
  z.object({
    file: z.string(),
    isEntry: z.boolean().optional(),
    imports: z.array(z.string()).optional(),
    css: z.array(z.string()).optional(),
  }),
);

export interface FirstScreenSize {
  files: { file: string; bytes: number; gzipBytes: number }[];
  gzipBytes: number;
}

export function firstScreenSize(dist: string): FirstScreenSize {
  const manifest = manifestSchema.parse(
    JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8")),
  );
  const entry = Object.entries(manifest).find(([, chunk]) => chunk.isEntry);
  if (entry === undefined) throw new Error("the manifest names no entry chunk");
  const seen = new Set<string>();
  const queue = [entry[0]];
  while (queue.length > 0 && seen.size < 500) {
    const key = queue.shift() as string;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const next of manifest[key]?.imports ?? []) queue.push(next);
  }
  const files = [...seen].map((key) => {
    const file = manifest[key]?.file as string;
    const content = readFileSync(join(dist, file));
    return { file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
  });
  return { files, gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { "budget-kb": { type: "string", default: "250" }, dist: { type: "string" } },
  });
  const dist = resolve(values.dist ?? join(import.meta.dirname, "..", "dist"));
  const budget = Number(values["budget-kb"]) * 1000;
  const size = firstScreenSize(dist);
  for (const f of size.files)
    console.log(`  ${f.file.padEnd(44)} ${(f.gzipBytes / 1000).toFixed(1)} kB gzip`);
  console.log(`first-screen JS: ${(size.gzipBytes / 1000).toFixed(1)} kB gzip (budget ${budget / 1000} kB)`);
  if (size.gzipBytes > budget) {
    console.error("over budget: split more code out of the entry chunk");
    process.exit(1);
  }
}
