"""The Open311 GeoReport v2 server under `/open311/v2/` (README, "Open311 GeoReport v2"): not
pages and not the JSON API, but the specification's own resources, in XML and JSON.

- `answers`: the specification's documents (services, a service definition, service
  requests, errors) written as XML or JSON, and the fields of a request, taken from its ticket;
- `views`: the four resources; each parses its arguments, calls one domain function
  (`jieban.exchange.open311`, `jieban.exchange.open311_selectors`) and answers, every domain
  error as the specification's error list with its HTTP status.
"""
