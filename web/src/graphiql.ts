// GraphiQL with every asset bundled (Strawberry's own page loads it from a CDN, which is a
// blank page without internet). With a web app session it sends the session's CSRF token;
// without one, put `{"Authorization": "Bearer <key>"}` in the Headers tab.
import { createElement } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import "graphiql/graphiql.css";

async function main(): Promise<void> {
  const headers: Record<string, string> = {};
  try {
    const res = await fetch("/app/api/session", { credentials: "same-origin" });
    if (res.ok) headers["X-CSRF-Token"] = (await res.json()).csrf;
  } catch {
    // no session: the Headers tab carries a key
  }
  const fetcher = createGraphiQLFetcher({ url: "/graphql", headers });
  createRoot(document.getElementById("graphiql")!).render(
    createElement(GraphiQL, {
      fetcher,
      defaultQuery: "# Log in at /app, or set an Authorization header in the Headers tab.\n{ version }\n",
    }),
  );
}

void main();
