"""WSGI entry point used by `jieban serve` (gunicorn)."""

import os

from django.core.wsgi import get_wsgi_application

from jieban.files import keep_files_private

# Also when another WSGI server than `jieban serve` loads Jieban.
keep_files_private()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jieban.settings")
application = get_wsgi_application()
