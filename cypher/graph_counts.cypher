RETURN
  COUNT { (:Record) } AS records,
  COUNT { (:Identifier) } AS identifiers,
  COUNT { (p:Profile) WHERE p.retired IS NULL } AS profiles,
  COUNT { (:Order) } AS orders,
  COUNT { (:Event) } AS events
