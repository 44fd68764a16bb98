// The audit's invalid values: per source, source field and reason, how many records had an
// invalid value (`r.issues` holds "field:reason"). A record counts once per field and
// reason; rows with reason null count the records with any invalid value in the field.
MATCH (r:Record)
WHERE r.stub IS NULL AND size(coalesce(r.issues, [])) > 0
WITH r.source AS source,
     reduce(acc = [], i IN r.issues | CASE WHEN i IN acc THEN acc ELSE acc + i END) AS issues
WITH source,
     [i IN issues |
       [left(i, size(i) - size(last(split(i, ':'))) - 1), last(split(i, ':'))]] AS pairs
WITH source, pairs,
     reduce(acc = [], p IN pairs | CASE WHEN p[0] IN acc THEN acc ELSE acc + p[0] END) AS fields
UNWIND pairs + [f IN fields | [f, null]] AS pair
RETURN source, pair[0] AS field, pair[1] AS reason, count(*) AS records
ORDER BY source, field, reason
