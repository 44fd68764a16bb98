"""The web app, served by the API's own process under `/app`: the built single-page app
(`api/web/dist`, built from `web/` by `make web`), the session that a browser holds instead
of an API key, and GraphiQL's assets served locally."""
