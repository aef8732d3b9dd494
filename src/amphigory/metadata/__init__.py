"""Clients of the public metadata services identification asks (DESIGN.md "Knowing what a disc is").

`http` is the one shared HTTP layer (timeouts, retries on 429/503 honouring Retry-After, a per-host pace, the
User-Agent); `thediscdb`, `tmdb`, `musicbrainz` and `coverart` each hold a service's request and its pure JSON
parser; `cache` keeps successful answers so a disc is looked up once.
"""
