"""The service's HTTP and GraphQL API."""

__version__ = "0.1.0"
