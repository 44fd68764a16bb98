"""External enrichment providers: one module per implementation of `base.AreaProvider`."""
