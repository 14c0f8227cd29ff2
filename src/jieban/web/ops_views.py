"""The operator's probes (README, "Operating: health, metrics and logs"): /healthz for a load
balancer, /metrics for Prometheus. No login, no session, no CSRF: `jieban.http.AnswerProbesFirst`
answers them before the middleware that would read a Host, a session or a cookie."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from jieban.ops.health import check_health
from jieban.ops.metrics import exposition

# Headers a reverse proxy adds: a request bearing one came through a proxy, whose address,
# not the client's, is REMOTE_ADDR (often 127.0.0.1, beside Jieban).
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, some worker swept lately and no outbox is stuck; 503
    naming the failing check otherwise."""
    health = check_health(timezone.now())
    response = JsonResponse(health.as_json(), status=200 if health.ok else 503)
    patch_cache_control(response, no_store=True)
    return response


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text exposition, for the allowed addresses or the token's bearer; a 404
    for anyone else, as if there were nothing here."""
    if not may_scrape(request):
        return HttpResponse(status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    patch_cache_control(response, no_store=True)
    return response


def may_scrape(request: HttpRequest) -> bool:
    """Whether `request` may read the metrics: it bears `JIEBAN_METRICS_TOKEN`, or it comes
    straight (through no proxy) from an address in `JIEBAN_METRICS_ALLOW`."""
    token = settings.JIEBAN_METRICS_TOKEN
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            sent.strip().encode(), token.encode()
        ):
            return True
    if any(header in request.META for header in FORWARDED):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.JIEBAN_METRICS_ALLOW)
