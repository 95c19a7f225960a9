from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: /healthz, /readyz, /metrics and JSON logs. No models, no pages for workers or staff.

    The three endpoints are answered by ``respite.ops.middleware.OpsMiddleware`` (first in MIDDLEWARE)
    rather than the URLconf, so probes on a private address are not redirected to HTTPS or refused by
    the ALLOWED_HOSTS check, and never touch sessions, CSRF or the locale.
    """

    name = "respite.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from respite.ops import checks  # noqa: F401  (registers the system checks)
