/**
 * `GET /api/openapi.json` (the OpenAPI 3.1 document) and `GET /api/docs` (it rendered as a page), built once when
 * the app is created; public (the API's shape is no secret). Plain handlers: `createApp` mounts each on its path.
 */
import type { RequestHandler } from "express";
import { buildOpenApiDocument } from "./apiDocument.ts";
import { DOCS_PAGE_CSP, renderDocsPage } from "./docsPage.ts";

export interface OpenApiHandlers {
  document: RequestHandler;
  docsPage: RequestHandler;
}

export function openapiHandlers(): OpenApiHandlers {
  const openapi = buildOpenApiDocument();
  const json = JSON.stringify(openapi);
  const page = renderDocsPage(openapi);
  return {
    document: (_req, res) => {
      res.type("application/json").send(json);
    },
    docsPage: (_req, res) => {
      res.setHeader("Content-Security-Policy", DOCS_PAGE_CSP);
      res.type("text/html").send(page);
    },
  };
}
