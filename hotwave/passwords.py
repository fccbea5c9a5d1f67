"""Passwords: Django's validators in our words, and the password-reset email.

The validators are Django's (settings.AUTH_PASSWORD_VALIDATORS names these
subclasses), saying what they check the way our forms speak. The reset email is
sent by a Celery task (``hotwave.tasks.send_password_reset``), so the answer to a
reset request takes the same time whether the address is known or not; the link
carries Django's token, which stops working once the password changes (single
use) and after PASSWORD_RESET_TIMEOUT.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return ngettext(
            "密码太短：至少要 %(min_length)d 个字符。",
            "密码太短：至少要 %(min_length)d 个字符。",
            self.min_length,
        )

    def get_help_text(self):
        return ngettext(
            "至少 %(min_length)d 个字符。",
            "至少 %(min_length)d 个字符。",
            self.min_length,
        ) % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return _("密码和你的%(verbose_name)s太像了，请换一个。")

    def get_help_text(self):
        return _("不要和用户名、姓名或邮箱相近。")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self):
        return _("这个密码太常见，很容易被猜到，请换一个。")

    def get_help_text(self):
        return _("不要用常见密码。")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self):
        return _("密码不能全是数字。")

    def get_help_text(self):
        return _("不能全是数字。")


def password_reset_send(*, user_id: int, domain: str, use_https: bool, language: str) -> bool:
    """Email one user the link to choose a new password. False when the account can't reset.

    Only active accounts with a usable password and an email address get a link.
    """
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return False
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": _("Hotwave 热浪"),
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    with translation.override(language):
        subject = loader.render_to_string("registration/password_reset_subject.txt", context)
        subject = "".join(subject.splitlines())  # a header: one line
        body = loader.render_to_string("registration/password_reset_email.txt", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.send()
    logger.info("password reset link sent to user %s", user.pk)
    return True
