// The audit's fill counts, in one pass over the records: per source, how many records hold
// each attribute (a valid value: invalid ones are not stored) and at least one identifier
// of each type; kind 'no_identifier' counts the records that hold no identifier at all.
MATCH (r:Record)
WHERE r.stub IS NULL
WITH r.source AS source,
     [k IN keys(r) WHERE NOT k IN $bookkeeping] AS attributes,
     COLLECT {
       MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)
       RETURN DISTINCT i.type
     } AS types
UNWIND [a IN attributes | {kind: 'attribute', name: a}]
     + [t IN types | {kind: 'identifier', name: t}]
     + CASE WHEN types = [] THEN [{kind: 'no_identifier', name: ''}] ELSE [] END AS filled
RETURN source, filled.kind AS kind, filled.name AS name, count(*) AS records
ORDER BY source, kind, name
