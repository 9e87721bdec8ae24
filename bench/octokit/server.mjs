// The receiver most users would run: @octokit/webhooks verifies X-Hub-Signature-256 and answers
// 200. No persistence. Usage: SECRET=... PORT=... node server.mjs
import { createServer } from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";

const webhooks = new Webhooks({ secret: process.env.SECRET ?? "bench-secret" });
webhooks.on("workflow_job", () => {});
const middleware = createNodeMiddleware(webhooks, { path: "/webhooks/github" });
const server = createServer(middleware);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 8082), "127.0.0.1", () =>
  console.log(`octokit receiver listening on 127.0.0.1:${server.address().port}`),
);
// Bounded: stop by itself after MAX_SECONDS (default one hour).
setTimeout(() => process.exit(0), Number(process.env.MAX_SECONDS ?? 3600) * 1000).unref();
