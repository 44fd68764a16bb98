// A page of profiles in pid order (through the uniqueness index), one row per page:
// `rows` holds [pid, postcode, country, records, enrich_hash, dirty] of its active
// profiles, `records` the attributes enrichment summarises of those records that have any
// (loyalty, consent), `enrich_hash` the fingerprint of the attributes last written;
// `last` is the cursor of the next page. One row per page rather than per profile: the
// driver's per-record cost would dominate otherwise.
MATCH (p:Profile)
WHERE p.pid > $after
WITH p
ORDER BY p.pid
LIMIT $page
WITH collect(p) AS page
CALL (page) {
  UNWIND page AS p
  WITH p
  WHERE p.retired IS NULL
  RETURN collect([p.pid, p.postcode, p.country,
          [(p)<-[:IN_PROFILE]-(r:Record)
           WHERE r.loyalty_tier IS NOT NULL OR r.loyalty_points IS NOT NULL
              OR r.consent_email IS NOT NULL OR r.email_consent_status IS NOT NULL
              OR r.consent_sms IS NOT NULL OR r.sms_consent_status IS NOT NULL
           | [r.source, coalesce(r.observed_at, r.updated_at, r.created_at), r.loyalty_tier,
              r.loyalty_points, r.consent_email, r.email_consent_status, r.consent_sms,
              r.sms_consent_status]],
          p.enrich_hash, p.enrich_dirty IS NOT NULL]) AS rows
}
RETURN page[-1].pid AS last, size(page) AS scanned, rows
