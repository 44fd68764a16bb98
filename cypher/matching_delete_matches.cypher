// MATCHES links that scoring no longer accepts (a retrained model, or a record that
// changed): removed, and both records marked for resolution. An operator's rejection
// stays, so scoring never brings a rejected pair back.
UNWIND $pairs AS pair
MATCH (a:Record {rid: pair[0]})-[m:MATCHES]-(b:Record {rid: pair[1]})
WHERE m.rejected IS NULL
SET a.dirty = true, b.dirty = true
DELETE m
