"""The pages. Each area is a sub-package `web/<area>/` (copy it for mediation, community,
exchange): one module per purpose (`tickets/`: registration, lists, detail, actions, …), its
forms in `<area>/forms.py`; a lone page is a `<page>_views.py` module. Views take an
`AuthenticatedRequest`, read "who may" from `jieban.org.permissions`, answer domain errors with
`errors.py`, and share `pages.py`, `forms.py`, `menu.py`; they parse, call the domain, render.
"""
