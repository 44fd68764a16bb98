// One page of a segment's members in pid order (keyset pagination: after the last pid).
MATCH (s:Segment {id: $id})<-[m:IN_SEGMENT]-(p:Profile)
WHERE $after IS NULL OR p.pid > $after
WITH p, m ORDER BY p.pid LIMIT $limit
RETURN p {
  .pid, .given_name, .family_name, .email, .phone, .city, .country, .loyalty_tier,
  .clv_percentile, .churn_risk, .top_category, .last_purchase_at, since: m.since
} AS member
