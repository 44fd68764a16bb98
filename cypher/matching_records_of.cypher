// A mapping may declare email and phone only as identifiers: then the record's own
// identifier of that type (the smallest, for a stable choice) is what is compared.
// `extra` holds the user-defined attributes a model compares, in $extra's order. A record
// that names no one is scored when it carries a value of a `personal` attribute ($personal).
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
WHERE r.stub IS NULL
  AND (r.given_name IS NOT NULL OR r.family_name IS NOT NULL
       OR any(name IN $personal WHERE r[name] IS NOT NULL))
RETURN r.rid AS rid, r.source AS source, r.given_name AS given_name,
       r.family_name AS family_name, r.dob AS dob, r.postcode AS postcode,
       r.address AS address, r.city AS city,
       CASE WHEN r.email IS NULL THEN COLLECT {
         MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier {type: 'email'})
         RETURN i.value ORDER BY i.value LIMIT 1 }[0] ELSE r.email END AS email,
       CASE WHEN r.phone IS NULL THEN COLLECT {
         MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier {type: 'phone'})
         RETURN i.value ORDER BY i.value LIMIT 1 }[0] ELSE r.phone END AS phone,
       [name IN $extra | r[name]] AS extra
