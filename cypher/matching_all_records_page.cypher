// A page of records in rid order, one row per page: `rows` holds, for each record worth
// scoring probabilistically (it names a person, or carries a value of a `personal`
// attribute, $personal, such as a national id number), the columns of `matching_all_records`
// as a list (email and phone: the record's attribute, else its smallest identifier of that
// type, for mappings that declare them only as identifiers), then the user-defined attributes a model compares, in $extra's order.
MATCH (r:Record)
WHERE r.rid > $after
WITH r
ORDER BY r.rid
LIMIT $page
WITH collect(r) AS page
CALL (page) {
  UNWIND page AS r
  WITH r
  WHERE r.stub IS NULL
    AND (r.given_name IS NOT NULL OR r.family_name IS NOT NULL
         OR any(name IN $personal WHERE r[name] IS NOT NULL))
  RETURN collect([r.rid, r.source, r.given_name, r.family_name, r.dob, r.postcode,
                  r.address, r.city,
                  CASE WHEN r.email IS NULL THEN COLLECT {
                    MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier {type: 'email'})
                    RETURN i.value ORDER BY i.value LIMIT 1 }[0] ELSE r.email END,
                  CASE WHEN r.phone IS NULL THEN COLLECT {
                    MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier {type: 'phone'})
                    RETURN i.value ORDER BY i.value LIMIT 1 }[0] ELSE r.phone END,
                  [name IN $extra | r[name]]]) AS rows
}
RETURN page[-1].rid AS last, size(page) AS scanned, rows
