// The comparisons the sources' mappings declare for user-defined attributes.
MATCH (c:ComparedAttribute)
RETURN c.source AS source, c.name AS name, c.kind AS kind, c.thresholds AS thresholds,
       c.term_frequency AS term_frequency, c.blocking AS blocking,
       coalesce(c.personal, false) AS personal
ORDER BY name, source
