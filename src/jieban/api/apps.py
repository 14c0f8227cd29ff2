from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "jieban.api"
    label = "api"
    verbose_name = "API"
