"""Project-level Celery tasks (thin: ids and strings in, one service)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="hotwave.send_password_reset")
def send_password_reset(user_id: int, domain: str, use_https: bool, language: str) -> bool:
    """Email the reset link (hotwave.passwords.password_reset_send)."""
    from hotwave.passwords import password_reset_send

    return password_reset_send(
        user_id=user_id, domain=domain, use_https=use_https, language=language
    )
