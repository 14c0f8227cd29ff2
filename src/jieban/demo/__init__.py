"""The demo: a fictional county bureau built through the domain's own rules (`jieban demo`)."""
