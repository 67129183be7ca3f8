/**
 * `GET /api/docs`: the OpenAPI document as one self-contained HTML page (no script, no CDN: the agent may run
 * offline). Every operation by tag, with its parameters, request body and responses; schemas as JSON.
 */
import type { OpenApiDocument } from "./apiDocument.ts";

/** The page's own Content-Security-Policy: nothing loads, only its inline style applies. */
export const DOCS_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function schemaBlock(schema: unknown): string {
  return `<details><summary>schema</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`;
}

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
}

function operationHtml(method: string, path: string, op: Operation): string {
  const parts = [
    `<section id="${escapeHtml(`${method}-${path}`)}"><h3><span class="m ${escapeHtml(method)}">${escapeHtml(
      method.toUpperCase(),
    )}</span> <code>${escapeHtml(path)}</code>${op.security ? ' <span class="lock">session</span>' : ""}</h3>`,
    `<p>${escapeHtml(op.summary ?? "")}</p>`,
  ];
  if (op.parameters && op.parameters.length > 0) {
    parts.push("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>");
    for (const p of op.parameters) {
      parts.push(
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td><code>${escapeHtml(JSON.stringify(p.schema))}</code></td></tr>`,
      );
    }
    parts.push("</table>");
  }
  if (op.requestBody) {
    for (const [type, media] of Object.entries(op.requestBody.content)) {
      parts.push(`<h4>Body <code>${escapeHtml(type)}</code></h4>${schemaBlock(media.schema ?? {})}`);
    }
  }
  parts.push("<h4>Responses</h4><ul>");
  for (const [status, response] of Object.entries(op.responses)) {
    const media = Object.entries(response.content ?? {});
    parts.push(
      `<li><b>${escapeHtml(status)}</b> ${escapeHtml(response.description)}${media
        .map(([type, m]) => ` <code>${escapeHtml(type)}</code>${m.schema ? schemaBlock(m.schema) : ""}`)
        .join("")}</li>`,
    );
  }
  parts.push("</ul></section>");
  return parts.join("\n");
}

/** The page for `document` (pure). */
export function renderDocsPage(document: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  const index: string[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as Operation;
      const tag = op.tags?.[0] ?? "other";
      const list = byTag.get(tag) ?? [];
      list.push(operationHtml(method, path, op));
      byTag.set(tag, list);
      index.push(
        `<li><a href="#${escapeHtml(`${method}-${path}`)}">${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</a></li>`,
      );
    }
  }
  const sections = [...byTag.entries()].map(([tag, ops]) => `<h2>${escapeHtml(tag)}</h2>\n${ops.join("\n")}`);
  const schemas = Object.entries(document.components.schemas).map(
    ([id, schema]) =>
      `<section id="schema-${escapeHtml(id)}"><h3>${escapeHtml(id)}</h3>${schemaBlock(schema)}</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(document.info.title)} — API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1b1f24}
code,pre{font:13px ui-monospace,monospace}pre{background:#f4f5f7;padding:.5rem;overflow:auto}
section{border-top:1px solid #d0d4da;padding:.25rem 0}.m{display:inline-block;min-width:4rem;font-weight:700}
.get{color:#0a6b2b}.post{color:#0b4fa8}.put,.patch{color:#8a5a00}.delete{color:#a11}
.lock{font-size:12px;background:#eef;padding:0 .3rem;border-radius:3px}table{border-collapse:collapse}
td,th{border:1px solid #d0d4da;padding:.2rem .4rem;text-align:left;vertical-align:top}
</style></head><body>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${escapeHtml(document.info.description)} Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${escapeHtml(document.openapi)}).</p>
<ul>${index.join("")}</ul>
${sections.join("\n")}
<h2>Schemas</h2>
${schemas.join("\n")}
</body></html>
`;
}
