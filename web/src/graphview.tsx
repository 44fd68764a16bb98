// The identity graph drawn with cytoscape.js (bundled): the profile, its records, the
// identifiers they carry, match links, and what was held back (blocked, generic, shared or
// refused identifiers) drawn dashed in red. A path from `explain` is highlighted.
import cytoscape, { type Core, type ElementDefinition } from "cytoscape";
import { useEffect, useRef } from "preact/hooks";

export interface GNode {
  id: string;
  kind: string;
  label: string;
  properties: Record<string, any>;
}
export interface GEdge {
  source: string;
  target: string;
  type: string;
  evidence: Record<string, any>;
}

declare global {
  interface Window {
    __cdpGraph?: Core;
  }
}

export function heldBack(n: GNode): string | null {
  const p = n.properties;
  if (p.blocked) return `blocked: ${p.blocked}`;
  if (p.generic) return `generic: ${p.generic}`;
  if (p.shared) return "marked shared";
  return null;
}

function short(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

function elements(nodes: GNode[], edges: GEdge[]): ElementDefinition[] {
  const els: ElementDefinition[] = [];
  for (const n of nodes) {
    const classes = [n.kind];
    if (n.kind === "identifier" && heldBack(n)) classes.push("held");
    if (n.kind === "record" && n.properties.outside) classes.push("outside");
    const label =
      n.kind === "identifier"
        ? short(n.label, 26)
        : n.kind === "record"
          ? `${short(n.label, 20)}\n${n.properties.source ?? ""}`
          : short(n.label, 24);
    els.push({ data: { id: n.id, label, kind: n.kind }, classes: classes.join(" ") });
  }
  edges.forEach((e, i) => {
    const classes = [e.type];
    if (e.evidence.refused || e.evidence.blocked || e.evidence.generic || e.evidence.shared || e.evidence.rejected)
      classes.push("held");
    els.push({
      data: { id: `e${i}:${e.source}>${e.target}:${e.type}`, source: e.source, target: e.target, type: e.type },
      classes: classes.join(" "),
    });
  });
  return els;
}

const STYLE: any[] = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-size": 10,
      "text-wrap": "wrap",
      "text-max-width": "120px",
      "text-valign": "bottom",
      "text-margin-y": 4,
      color: "#1a1d21",
      "background-color": "#888",
      width: 22,
      height: 22,
    },
  },
  { selector: "node.profile", style: { "background-color": "#0b5cad", width: 40, height: 40, "font-weight": "bold", shape: "round-rectangle" } },
  { selector: "node.retired_profile", style: { "background-color": "#9aa5b1", shape: "round-rectangle" } },
  { selector: "node.record", style: { "background-color": "#2e8b57", shape: "ellipse" } },
  { selector: "node.record.outside", style: { "background-color": "#c7ccd3" } },
  { selector: "node.identifier", style: { "background-color": "#f0a000", shape: "diamond", width: 18, height: 18 } },
  { selector: "node.identifier.held", style: { "background-color": "#a3122a", "border-width": 2, "border-color": "#a3122a" } },
  { selector: "edge", style: { width: 1.5, "line-color": "#b6bdc7", "curve-style": "bezier" } },
  { selector: "edge.MATCHES", style: { "line-color": "#6a3fb5", width: 2.5, "line-style": "solid" } },
  { selector: "edge.SAME_AS", style: { "line-color": "#0b5cad", width: 2.5 } },
  { selector: "edge.MERGED_INTO", style: { "line-color": "#9aa5b1", "target-arrow-shape": "triangle", "target-arrow-color": "#9aa5b1" } },
  { selector: "edge.held", style: { "line-style": "dashed", "line-color": "#a3122a" } },
  { selector: "node:selected", style: { "border-width": 4, "border-color": "#f0a000" } },
  { selector: "edge.path", style: { "line-color": "#f0a000", width: 6, "z-index": 10 } },
  { selector: "node.path", style: { "border-width": 3, "border-color": "#b36b00", "z-index": 10 } },
  { selector: ".faded", style: { opacity: 0.25 } },
];

export function GraphCanvas({
  nodes,
  edges,
  path,
  onSelect,
}: {
  nodes: GNode[];
  edges: GEdge[];
  path: string[];
  onSelect: (ids: string[]) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | null>(null);
  const selectRef = useRef(onSelect);
  selectRef.current = onSelect;

  useEffect(() => {
    if (!box.current) return;
    const cy = cytoscape({
      container: box.current,
      elements: elements(nodes, edges),
      style: STYLE,
      layout: {
        name: "concentric",
        concentric: (n: any) => ({ profile: 4, retired_profile: 3, record: 2, identifier: 1 })[n.data("kind") as string] ?? 0,
        levelWidth: () => 1,
        minNodeSpacing: 28,
        animate: false,
      } as any,
      wheelSensitivity: 0.3,
      selectionType: "additive",
    });
    const report = () => selectRef.current(cy.$("node:selected").map((n) => n.id()));
    cy.on("select unselect", "node", report);
    cyRef.current = cy;
    window.__cdpGraph = cy;
    return () => {
      cy.destroy();
      if (window.__cdpGraph === cy) window.__cdpGraph = undefined;
    };
  }, [nodes, edges]);

  useEffect(() => {
    const cy = cyRef.current;
    if (!cy) return;
    cy.elements().removeClass("path faded");
    if (!path.length) return;
    const on = cy.collection();
    for (const id of path) {
      const el = cy.getElementById(id);
      if (el.nonempty()) on.merge(el);
    }
    // the edges between consecutive path elements
    for (let i = 0; i + 1 < path.length; i++) {
      on.merge(cy.getElementById(path[i]).edgesWith(cy.getElementById(path[i + 1])));
    }
    cy.elements().not(on).addClass("faded");
    on.addClass("path");
  }, [path, nodes, edges]);

  return (
    <div
      ref={box}
      class="graph"
      data-testid="graph"
      role="img"
      aria-label={`Identity graph: ${nodes.filter((n) => n.kind === "record").length} records, ${nodes.filter((n) => n.kind === "identifier").length} identifiers`}
    />
  );
}
