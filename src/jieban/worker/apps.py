from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "jieban.worker"
    label = "worker"
