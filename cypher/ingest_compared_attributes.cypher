// The comparisons a source's mapping declares for its own attributes, which training reads:
// one node per (source, attribute). Declarations the mapping no longer makes are removed.
OPTIONAL MATCH (old:ComparedAttribute {source: $source})
WHERE NOT old.name IN [row IN $rows | row.name]
DETACH DELETE old
WITH count(*) AS removed
UNWIND $rows AS row
MERGE (c:ComparedAttribute {key: $source + ':' + row.name})
SET c.source = $source,
    c.name = row.name,
    c.kind = row.kind,
    c.thresholds = row.thresholds,
    c.term_frequency = row.term_frequency,
    c.blocking = row.blocking,
    c.personal = row.personal,
    c.updated_at = $now
