"""WSGI entry point used by `jieban serve` (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
application = get_wsgi_application()
