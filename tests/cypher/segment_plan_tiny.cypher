// The state that once cached a disastrous refresh plan: one profile, no record.
CREATE (:Profile {pid: 'plan-tiny', loyalty_tier: 'gold'})
