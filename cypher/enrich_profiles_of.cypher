// The profiles of $pids that are active, as enrich_profiles_page returns them.
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
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
