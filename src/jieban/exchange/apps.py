from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "jieban.exchange"
    label = "exchange"
    verbose_name = _("Exchange with the outside")

    def ready(self) -> None:
        # A step on a platform's ticket becomes a message to the platform in the step's own
        # transaction; `tickets` must not import the exchange, so the exchange listens.
        from jieban.exchange.outbox import on_ticket_event  # models are ready only now
        from jieban.tickets.models import TicketEvent  # models are ready only now

        post_save.connect(on_ticket_event, sender=TicketEvent, dispatch_uid="exchange-messages")
