/**
 * The OpenAPI 3.1 document of the public API, generated from `API_OPERATIONS` with zod 4's JSON Schema output
 * (draft 2020-12, the dialect OpenAPI 3.1 uses). Requests are described as the client sends them (`io: "input"`),
 * answers as the agent writes them (`io: "output"`). Schemas zod cannot express in JSON Schema (transforms,
 * refinements) become their input type, or `{}` where there is none.
 */
import { z } from "zod";
import {
  API_OPERATIONS,
  type ApiOperation,
  type ApiResponse,
  COMMON_RESPONSES,
  problemSchema,
} from "./apiOperations.ts";

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  [key: string]: unknown;
}

/** Named schemas (`.meta({ id })`) collected into `components.schemas` while the document is built. */
type Components = Record<string, JsonSchema>;

function jsonSchema(schema: z.ZodType, io: "input" | "output", components: Components): JsonSchema {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
  delete out.$schema;
  const defs = (out.$defs ?? {}) as Components;
  delete out.$defs;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key === "$ref" && typeof inner === "string"
          ? inner.replace("#/$defs/", "#/components/schemas/")
          : rewrite(inner),
      ]),
    );
  };
  for (const [id, def] of Object.entries(defs)) components[id] ??= rewrite(def) as JsonSchema;
  return rewrite(out) as JsonSchema;
}

/** `in: path|query` parameters from an object schema's properties. */
function parametersOf(
  schema: z.ZodType | undefined,
  where: "path" | "query",
  components: Components,
): unknown[] {
  if (schema === undefined) return [];
  const object = jsonSchema(schema, "input", components) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (object.required ?? []).includes(name),
    schema: property,
  }));
}

function responseOf(response: ApiResponse, components: Components): Record<string, unknown> {
  if (response.schema === undefined) {
    return response.contentType === undefined
      ? { description: response.description }
      : { description: response.description, content: { [response.contentType]: {} } };
  }
  const schema = jsonSchema(response.schema, "output", components);
  const problem = response.schema === problemSchema;
  return {
    description: response.description,
    content: {
      [problem ? "application/problem+json" : (response.contentType ?? "application/json")]: { schema },
    },
  };
}

function operationOf(op: ApiOperation, components: Components): Record<string, unknown> {
  const operation: Record<string, unknown> = {
    operationId: `${op.method}${op.path.replace(/[{}]/g, "").replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    tags: [op.tag],
    summary: op.summary,
  };
  const parameters = [
    ...parametersOf(op.params, "path", components),
    ...parametersOf(op.query, "query", components),
  ];
  if (parameters.length > 0) operation.parameters = parameters;
  if (op.body !== undefined) {
    operation.requestBody = {
      required: true,
      content: { "application/json": { schema: jsonSchema(op.body, "input", components) } },
    };
  } else if (op.multipart !== undefined) {
    const fields = jsonSchema(op.multipart, "input", components) as { properties?: Record<string, unknown> };
    operation.requestBody = {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            properties: {
              ...(fields.properties ?? {}),
              files: {
                type: "array",
                items: { type: "string", contentMediaType: "application/octet-stream" },
              },
            },
            required: ["files"],
          },
        },
      },
    };
  }
  if (op.session === true) operation.security = [{ session: [] }];
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries({ ...COMMON_RESPONSES, ...op.responses })) {
    responses[status] = responseOf(response, components);
  }
  operation.responses = responses;
  return operation;
}

/** Builds the document (pure; `openapiRouter` builds it once at startup). */
export function buildOpenApiDocument(operations: readonly ApiOperation[] = API_OPERATIONS): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Components = {};
  for (const op of operations) {
    const path = paths[op.path] ?? {};
    path[op.method] = operationOf(op, components);
    paths[op.path] = path;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Resolution Autopilot agent",
      version: "0.1.0",
      description:
        "The oracle and coach agent's HTTP API. Errors are RFC 9457 problem documents naming the wrong field. " +
        "Signed-in routes need the session cookie set by POST /api/auth/verify.",
    },
    paths,
    components: {
      schemas: components,
      securitySchemes: { session: { type: "apiKey", in: "cookie", name: "ra_session" } },
    },
  };
}
