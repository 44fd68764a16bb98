// The audit, per source: customer records (stubs apart: records that only an order or an
// event named, which no customer row has filled in), orders and events.
CALL () {
  MATCH (r:Record)
  RETURN r.source AS source,
         count(CASE WHEN r.stub IS NULL THEN 1 END) AS records,
         count(r.stub) AS stubs,
         0 AS orders,
         0 AS events
  UNION ALL
  MATCH (o:Order)
  RETURN o.source AS source, 0 AS records, 0 AS stubs, count(*) AS orders, 0 AS events
  UNION ALL
  MATCH (e:Event)
  RETURN e.source AS source, 0 AS records, 0 AS stubs, 0 AS orders, count(*) AS events
}
RETURN source,
       sum(records) AS records,
       sum(stubs) AS stubs,
       sum(orders) AS orders,
       sum(events) AS events
ORDER BY source
