import { expect } from "chai";
import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import request from "supertest";
import { inSeries } from "../../src/http/inSeries.ts";

/** An app running `handlers` in series before a route that reports what ran; errors answer 500 with their message. */
function appWith(handlers: RequestHandler[]) {
  const app = express();
  app.use((req, _res, next) => {
    (req as unknown as { ran: string[] }).ran = [];
    next();
  });
  app.use(inSeries(handlers));
  app.get("/", (req, res) => {
    res.json({ ran: (req as unknown as { ran: string[] }).ran });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    res.status(500).json({ error: (error as Error).message, ran: (req as unknown as { ran: string[] }).ran });
  };
  app.use(onError);
  return app;
}

const step =
  (name: string): RequestHandler =>
  (req, _res, next) => {
    (req as unknown as { ran: string[] }).ran.push(name);
    next();
  };

describe("inSeries", () => {
  it("runs the middlewares in order, async ones included, then the next layer", async () => {
    const later: RequestHandler = async (req, _res, next) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      (req as unknown as { ran: string[] }).ran.push("async");
      next();
    };
    const res = await request(appWith([step("a"), later, step("b")])).get("/");
    expect(res.body).to.deep.equal({ ran: ["a", "async", "b"] });
  });

  it("skips the rest on next(error), a throw or a rejected promise, and reaches the error handler", async () => {
    const failures: [string, RequestHandler][] = [
      ["next", (_req, _res, next) => next(new Error("passed"))],
      [
        "throw",
        () => {
          throw new Error("thrown");
        },
      ],
      [
        "reject",
        async () => {
          throw new Error("rejected");
        },
      ],
    ];
    for (const [, failing] of failures) {
      const res = await request(appWith([step("a"), failing, step("never")])).get("/");
      expect(res.status).to.equal(500);
      expect(res.body.ran).to.deep.equal(["a"]);
    }
    const messages = [];
    for (const [, failing] of failures) {
      messages.push((await request(appWith([failing])).get("/")).body.error);
    }
    expect(messages).to.deep.equal(["passed", "thrown", "rejected"]);
  });

  it("lets a middleware answer and end the series", async () => {
    const answer: RequestHandler = (_req, res) => {
      res.status(204).end();
    };
    const res = await request(appWith([step("a"), answer, step("never")])).get("/");
    expect(res.status).to.equal(204);
  });
});
