"""System checks: `manage.py check --database default` proves the database answers."""

from __future__ import annotations

from django.core.checks import Error, Tags, Warning, register
from django.db import connections


@register(Tags.database)
def database_reachable(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or []:
        try:
            connections[alias].ensure_connection()
        except Exception as exc:  # noqa: BLE001 - report any connection failure
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            errors.append(
                Error(
                    f"cannot connect to database '{alias}': {first}",
                    hint="Check DATABASE_URL and that the server is up.",
                    id="hotwave.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def email_configured(app_configs=None, **kwargs):
    """`check --deploy`: password-reset emails need a real backend (EMAIL_URL or EMAIL_HOST)."""
    from django.conf import settings

    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    if backend.endswith("console.EmailBackend"):
        return [
            Warning(
                "email goes to the console: password-reset links never reach anyone",
                hint="Set EMAIL_URL (smtp+tls://user:password@host:587) or EMAIL_HOST and friends.",
                id="hotwave.W001",
            )
        ]
    return []
