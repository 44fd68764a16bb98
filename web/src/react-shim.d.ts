// Just what graphiql.ts uses of React: the app itself is Preact, and @types/react's global
// JSX namespace would collide with Preact's.
declare module "react" {
  export function createElement(type: unknown, props?: Record<string, unknown> | null): unknown;
}
declare module "react-dom/client" {
  export function createRoot(el: Element): { render(node: unknown): void };
}
