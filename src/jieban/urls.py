from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from jieban.api.api import api
from jieban.web.login import AdminLoginForm

# The back office names itself, in the bureau's language: 捷办管理后台.
admin.site.site_header = admin.site.site_title = _("Jieban administration")
admin.site.index_title = _("Back office")
# Says on the form when a login is locked out for too many failures (README, "Logins and
# lockouts").
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jieban.web.urls")),
]
