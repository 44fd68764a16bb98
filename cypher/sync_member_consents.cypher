// The consents recorded now for these pids (members about to be removed): an opt-out
// must reach the destination as an unsubscribe, not only as a removal.
UNWIND $pids AS pid
MATCH (p:Profile {pid: pid})
RETURN pid, p.consent_email AS consent_email, p.consent_sms AS consent_sms,
       p.unsubscribed AS unsubscribed
