// `extra` holds the user-defined attributes a model compares, in $extra's order.
UNWIND $rids AS rid
MATCH (r:Record {rid: rid})
WHERE r.stub IS NULL
  AND (r.given_name IS NOT NULL OR r.family_name IS NOT NULL)
RETURN r.rid AS rid, r.source AS source, r.given_name AS given_name,
       r.family_name AS family_name, r.dob AS dob, r.postcode AS postcode,
       r.address AS address, r.city AS city, r.email AS email, r.phone AS phone,
       [name IN $extra | r[name]] AS extra
