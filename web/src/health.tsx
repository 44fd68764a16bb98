// Data health: ingest batches, quarantined rows with their reasons, and the data audit with
// its charts (records per source, fill gaps, identifiers shared across people).
import { useEffect, useState } from "preact/hooks";
import { ApiError, gql } from "./api";

const HEALTH = `query Health($after: String) {
  audit { generatedAt quarantined counts { records identifiers profiles orders events }
          sources { source records stubs orders events noIdentifier noEmail sharedWithOthers } }
  ingestBatches(first: 20) { totalCount nodes { id source file status error rowsRead rowsAccepted rowsQuarantined recordsChanged startedAt finishedAt } }
  quarantine(first: 20, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id source file row kind reason batchId } }
}`;

function Bars({ title, rows, testid }: { title: string; rows: [string, number][]; testid: string }) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return (
    <figure class="panel" data-testid={testid}>
      <figcaption>
        <h3>{title}</h3>
      </figcaption>
      <div class="bars" role="list">
        {rows.map(([k, v]) => (
          <div class="bar" role="listitem" aria-label={`${k}: ${v.toLocaleString("en-US")}`}>
            <span>{k}</span>
            <span aria-hidden="true">
              <span class="fill" style={`width:${Math.max(1, (v / max) * 100)}%`} />
            </span>
            <span class="num">{v.toLocaleString("en-US")}</span>
          </div>
        ))}
      </div>
    </figure>
  );
}

export function Health() {
  const [d, setD] = useState<any | null>(null);
  const [error, setError] = useState("");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  async function load(after: string | null, stack: (string | null)[]) {
    try {
      setD(await gql<any>(HEALTH, { after }, 30_000));
      setCursors(stack);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  }
  useEffect(() => {
    load(null, [null]);
  }, []);
  if (error)
    return (
      <main>
        <p role="alert" class="error">
          {error}
        </p>
      </main>
    );
  if (!d) return <p class="loading">Loading…</p>;
  const a = d.audit;
  const reasons = new Map<string, number>();
  for (const q of d.quarantine.nodes) reasons.set(q.reason ?? "?", (reasons.get(q.reason ?? "?") ?? 0) + 1);
  const next = d.quarantine.pageInfo.hasNextPage ? d.quarantine.pageInfo.endCursor : null;
  return (
    <main>
      <h1>Data health</h1>
      <dl class="facts">
        {Object.entries(a.counts).map(([k, v]) => (
          <div>
            <dt>{k}</dt>
            <dd>{(v as number).toLocaleString("en-US")}</dd>
          </div>
        ))}
        <div>
          <dt>quarantined</dt>
          <dd>{(a.quarantined ?? 0).toLocaleString("en-US")}</dd>
        </div>
      </dl>
      <div class="charts">
        <Bars testid="chart-records" title="Records per source" rows={a.sources.map((s: any) => [s.source, s.records])} />
        <Bars testid="chart-noemail" title="Records without an email" rows={a.sources.map((s: any) => [s.source, s.noEmail])} />
        <Bars testid="chart-shared" title="Records sharing an identifier with other people" rows={a.sources.map((s: any) => [s.source, s.sharedWithOthers])} />
        {reasons.size > 0 && (
          <Bars testid="chart-reasons" title="Quarantine reasons (this page)" rows={[...reasons.entries()].sort((x, y) => y[1] - x[1])} />
        )}
      </div>
      <section class="panel" aria-labelledby="batches">
        <h2 id="batches">Ingest batches ({d.ingestBatches.totalCount ?? d.ingestBatches.nodes.length})</h2>
        <table data-testid="batches">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Source</th>
              <th scope="col">File</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">Read</th>
              <th scope="col" class="num">Accepted</th>
              <th scope="col" class="num">Quarantined</th>
            </tr>
          </thead>
          <tbody>
            {d.ingestBatches.nodes.map((b: any) => (
              <tr>
                <td>{(b.startedAt ?? "").replace("T", " ").slice(0, 16)}</td>
                <td>{b.source}</td>
                <td title={b.file ?? ""}>{(b.file ?? "").split("/").slice(-2).join("/")}</td>
                <td>
                  {b.status}
                  {b.error ? ` — ${b.error}` : ""}
                </td>
                <td class="num">{b.rowsRead}</td>
                <td class="num">{b.rowsAccepted}</td>
                <td class="num">{b.rowsQuarantined}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel" aria-labelledby="quarantine">
        <h2 id="quarantine">Quarantine ({(d.quarantine.totalCount ?? a.quarantined ?? 0).toLocaleString("en-US")})</h2>
        {d.quarantine.nodes.length === 0 && <p>No quarantined rows: every row read became a record.</p>}
        <table data-testid="quarantine" hidden={d.quarantine.nodes.length === 0}>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">File</th>
              <th scope="col" class="num">Row</th>
              <th scope="col">Kind</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {d.quarantine.nodes.map((q: any) => (
              <tr>
                <td>{q.source}</td>
                <td title={q.file ?? ""}>{(q.file ?? "").split("/").slice(-2).join("/")}</td>
                <td class="num">{q.row}</td>
                <td>{q.kind}</td>
                <td>{q.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="toolbar">
          <button type="button" class="secondary" disabled={cursors.length <= 1} onClick={() => load(cursors[cursors.length - 2], cursors.slice(0, -1))}>
            Previous
          </button>
          <button type="button" class="secondary" disabled={!next} onClick={() => load(next, [...cursors, next])}>
            Next
          </button>
        </div>
      </section>
    </main>
  );
}
