// The reference loader of bench/ingest.py: the least a loader of customer rows does, one
// query per batch. A Record per row with its attributes, an Identifier per value, a
// HAS_IDENTIFIER edge between them; no lineage, no change detection, no normalisation.
UNWIND $rows AS row
MERGE (r:Record {rid: row.rid})
SET r += row.props
WITH r, row
UNWIND row.identifiers AS l
MERGE (i:Identifier {key: l.key})
ON CREATE SET i.type = l.type, i.value = l.value
MERGE (r)-[:HAS_IDENTIFIER]->(i)
