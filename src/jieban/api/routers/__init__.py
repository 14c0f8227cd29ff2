"""One router per area of the JSON API; `jieban.api.api` registers them (see its docstring)."""
