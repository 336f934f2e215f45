"""The Graph v1.0 request-body contract the gateway validates against."""
