import { defineConfig } from "vite";

// The app is served by `cdp serve` under /app; the build goes into the Python package
// (api/web/dist), which is what gets installed and served. Nothing is loaded from a CDN.
export default defineConfig({
  base: "/app/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../api/web/dist",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      // The app, and GraphiQL on its own page (only its page loads React and GraphiQL).
      input: { main: "index.html", graphiql: "graphiql.html" },
      onwarn(warning, warn) {
        // GraphiQL's Radix components carry "use client" (a React Server Components hint).
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
