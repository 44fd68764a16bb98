// $n gold profiles, each with one Record holding one email Identifier (the shape of
// bench/activate.py), for the segment plan regression test.
UNWIND range(0, $n - 1) AS i
WITH toString(i) AS s
CREATE (p:Profile {pid: 'plan-' + s, loyalty_tier: 'gold'})
CREATE (r:Record {rid: 'plan:' + s, source: 'ecommerce'})-[:IN_PROFILE]->(p)
CREATE (r)-[:HAS_IDENTIFIER]->(:Identifier {key: 'email:c' + s + '@x.com', type: 'email', value: 'c' + s + '@x.com'})
