// The audit's overlap of sources: per pair of sources (A, B), how many records of A share at
// least one identifier with another record of B (A = B: duplicates within a source); rows
// with `other` null count the records of A that share one with any other source.
//
// Identifiers carried by more than $hub_records records (test e-mails, shop phones) are
// expanded once, up front, instead of once per record that carries them: a test address
// on 50,000 records would otherwise cost 50,000 x 50,000 steps.
CALL () {
  MATCH (i:Identifier)
  WHERE COUNT { (i)<-[:HAS_IDENTIFIER]-() } > $hub_records
  WITH i, COLLECT {
    MATCH (i)<-[:HAS_IDENTIFIER]-(c:Record)
    WITH c.source AS source, count(*) AS records
    RETURN {source: source, records: records}
  } AS carriers
  RETURN collect({node: i, carriers: carriers}) AS hubs
}
WITH hubs, [h IN hubs | h.node] AS hub_nodes
MATCH (r:Record)
WHERE r.stub IS NULL
WITH r, hubs, hub_nodes,
     COLLECT {
       MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)<-[:HAS_IDENTIFIER]-(o:Record)
       WHERE NOT i IN hub_nodes AND o <> r
       RETURN DISTINCT o.source
     } AS near,
     COLLECT {
       MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)
       WHERE i IN hub_nodes
       RETURN i
     } AS held
WITH r.source AS source,
     near + CASE WHEN held = [] THEN [] ELSE reduce(acc = [], h IN hubs |
       CASE WHEN h.node IN held
         THEN acc + [c IN h.carriers WHERE c.source <> r.source OR c.records > 1 | c.source]
         ELSE acc END) END AS reached
WITH source,
     reduce(acc = [], s IN reached | CASE WHEN s IN acc THEN acc ELSE acc + s END) AS others
UNWIND others + CASE WHEN any(s IN others WHERE s <> source) THEN [null] ELSE [] END AS other
RETURN source, other, count(*) AS records
ORDER BY source, other
