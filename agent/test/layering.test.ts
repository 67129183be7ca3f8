/**
 * Layering rules the import graph must keep (the cycle check is `npm run lint:cycles`): services are use cases
 * that throw the domain errors of src/errors.ts, so they never import the HTTP layer (`http/problem.ts` maps
 * their errors); the config composes schemas and never imports a subsystem's runtime (see configModules.test.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";

const SRC = path.resolve(import.meta.dirname, "../src");

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1] ?? "");
}

describe("layering", () => {
  it("services never import from http/", () => {
    const dir = path.join(SRC, "services");
    const offenders: string[] = [];
    const files = readdirSync(dir).filter((name) => name.endsWith(".ts"));
    expect(files.length).to.be.greaterThan(10);
    for (const name of files) {
      for (const spec of importsOf(path.join(dir, name))) {
        if (spec.startsWith(".") && path.resolve(dir, spec).startsWith(path.join(SRC, "http") + path.sep)) {
          offenders.push(`${name} → ${spec}`);
        }
      }
    }
    expect(offenders).to.deep.equal([]);
  });

  it("finds an import from http/ when there is one (the check itself works)", () => {
    const specs = importsOf(path.join(SRC, "http/createApp.ts"));
    expect(specs).to.include("./errorHandler.ts");
  });
});
