"""The pages: server-rendered views that only parse, call the domain and render.

Shape for every area (copy it for mediation, community, exchange): a sub-package `web/<area>/`
with one module per purpose (`tickets/`: registration, lists, detail, actions, attachments,
printout; `supervision/`: orders, follow_up, campaign) and its forms in `<area>/forms.py`; a
lone page is a `<page>_views.py` module (home, calendar, notifications). Views take an
`AuthenticatedRequest`, read "who may" from `jieban.org.permissions`, and answer domain errors
through `web/errors.py`; what every area shares is in `pages.py`, `forms.py`, `menu.py`.
"""
