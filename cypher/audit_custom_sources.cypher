// Sources some batch ingested with a mapping other than the shipped one of that name.
MATCH (b:IngestBatch)
WHERE b.mapping STARTS WITH 'custom:'
RETURN DISTINCT b.source AS source
ORDER BY source
