// After scoring every record: the MATCHES links this run did not accept again (a retrained
// model, or records that changed) are removed and their records marked for resolution.
// An operator's rejection stays, so scoring never brings a rejected pair back.
MATCH (a:Record)-[m:MATCHES]->(b:Record)
WHERE m.rejected IS NULL AND (m.run IS NULL OR m.run <> $run)
CALL (a, b, m) {
  SET a.dirty = true, b.dirty = true
  DELETE m
} IN TRANSACTIONS OF 10000 ROWS
