from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "jieban.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # Connects the history's signal receivers, once the models are loaded.
        from jieban.org import history  # noqa: F401
