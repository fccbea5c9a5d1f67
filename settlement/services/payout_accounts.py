"""收款账户: a creator or agency names where its payouts go; an operator verifies it.

* The holder name must match the party's real-name record (``Creator.real_name``:
  the name Alipay's real-name verification returned; ``Agency.real_name``: the
  company on its business licence — both entered by operators in admin, audited).
* One current account (待核实 or 已核实) at a time: a new one replaces the
  current one at once, so a change holds payouts until an operator verifies it
  (``settlement.holds``).
* Operators verify or reject in admin; the check of the name runs again then.
  Every change is audited by django-simple-history (who, when, old, new).
"""

from __future__ import annotations

import re
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from admission.models import Role, User
from hotwave import todos
from hotwave.exceptions import DomainError
from settlement.models import (
    CURRENT_PAYOUT_ACCOUNT,
    PayoutAccount,
    PayoutAccountStatus,
    PayoutMethod,
)


class PayoutAccountError(DomainError):
    code = "payout_account.invalid"

    def __init__(self, message, *, field: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.field = field


_MOBILE = re.compile(r"1\d{10}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CARD = re.compile(r"\d{12,19}")


def _name_key(name: str) -> str:
    """A name as compared: NFKC (full-width letters, ideographic spaces), no spaces, case-free."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def real_name_of(user: User) -> str:
    """The party's real-name record ("" when operators have not entered it yet)."""
    profile = user.profile
    return (getattr(profile, "real_name", "") or "").strip()


def _check_holder(user: User, holder_name: str) -> None:
    record = real_name_of(user)
    if not record:
        if user.role == Role.CREATOR:
            message = _(
                "平台尚未登记你的实名信息：支付宝实名认证核实后，运营会登记你的实名姓名，"
                "之后即可添加收款账户。"
            )
        else:
            message = _("平台尚未登记贵机构营业执照上的主体名称：营业执照核实后即可添加收款账户。")
        raise PayoutAccountError(message, field="holder_name", code="payout_account.no_record")
    if _name_key(holder_name) != _name_key(record):
        raise PayoutAccountError(
            _("户名须与平台登记的实名信息「%(name)s」一致。") % {"name": record},
            field="holder_name",
            code="payout_account.name_mismatch",
        )


def _clean_number(method: str, number: str) -> str:
    number = number.strip()
    if method == PayoutMethod.ALIPAY:
        compact = re.sub(r"[\s-]", "", number)
        if _MOBILE.fullmatch(compact):
            return compact
        if _EMAIL.fullmatch(number) and len(number) <= 64:
            return number.lower()
        raise PayoutAccountError(
            _("支付宝账号须是 11 位手机号或邮箱地址。"),
            field="account_number",
            code="payout_account.bad_number",
        )
    compact = re.sub(r"[\s-]", "", number)
    if not _CARD.fullmatch(compact):
        raise PayoutAccountError(
            _("银行卡号须是 12 到 19 位数字。"),
            field="account_number",
            code="payout_account.bad_number",
        )
    return compact


@transaction.atomic
def payout_account_submit(
    *, actor: User, method: str, holder_name: str, account_number: str, bank_name: str = ""
) -> PayoutAccount:
    """A creator or agency adds (or changes to) a payout account, to be verified.

    Replaces the current one at once (payouts are held until the new one is
    verified). Submitting the same account again returns it. Raises
    PayoutAccountError (with ``field``) for a name that does not match the
    real-name record, a bad number, or a party that cannot be paid.
    """
    if actor.role not in (Role.CREATOR, Role.AGENCY) or actor.profile is None:
        raise PayoutAccountError(_("只有达人和机构需要收款账户。"), code="payout_account.not_payee")
    if method not in PayoutMethod.values:
        raise PayoutAccountError(
            _("请选择收款方式。"), field="method", code="payout_account.bad_method"
        )
    holder_name = holder_name.strip()
    bank_name = bank_name.strip() if method == PayoutMethod.BANK else ""
    if method == PayoutMethod.BANK and not bank_name:
        raise PayoutAccountError(
            _("请填写开户银行。"), field="bank_name", code="payout_account.no_bank"
        )
    number = _clean_number(method, account_number)
    _check_holder(actor, holder_name)
    # The party's profile row serialises its changes (two submissions at once).
    profile_model = type(actor.profile)
    list(profile_model.objects.select_for_update().filter(pk=actor.pk).values_list("pk"))
    current = PayoutAccount.objects.filter(user=actor, status__in=CURRENT_PAYOUT_ACCOUNT).first()
    now = timezone.now()
    if current is not None:
        if (current.method, current.account_number, current.bank_name, current.holder_name) == (
            method,
            number,
            bank_name,
            holder_name,
        ):
            return current  # the same account again: nothing changes
        current.status = PayoutAccountStatus.REPLACED
        current.replaced_at = now
        current._history_user = actor
        current._change_reason = "replaced by a new account"
        current.save(update_fields=["status", "replaced_at"])
    account = PayoutAccount(
        user=actor,
        method=method,
        holder_name=holder_name,
        account_number=number,
        bank_name=bank_name,
        submitted_at=now,
    )
    account._history_user = actor
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:  # pragma: no cover - the row lock above serialises this
        raise PayoutAccountError(
            _("收款账户刚刚被修改，请刷新后再试。"), code="payout_account.race"
        ) from exc
    todos.changed([actor.pk])
    return account


def _require_operator(actor: User) -> None:
    if not (actor.is_staff and actor.is_active):
        raise DomainError(_("只有平台运营可以核实收款账户。"), code="payout_account.not_operator")


def _decide(*, account: PayoutAccount, operator: User, status: str, note: str) -> PayoutAccount:
    _require_operator(operator)
    account = PayoutAccount.objects.select_for_update().select_related("user").get(pk=account.pk)
    if account.status != PayoutAccountStatus.PENDING:
        if account.status == status:
            return account  # decided the same way already (a double click)
        raise DomainError(
            _("该收款账户当前状态为「%(status)s」，不能再核实。")
            % {"status": account.get_status_display()},
            code="payout_account.not_pending",
        )
    account.status = status
    account.decided_at = timezone.now()
    account.decided_by = operator
    account.decision_note = note.strip()[:200]
    account._history_user = operator
    account.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    todos.changed([account.user_id])
    return account


@transaction.atomic
def payout_account_verify(
    *, account: PayoutAccount, operator: User, note: str = ""
) -> PayoutAccount:
    """An operator confirms the account (the holder name is checked against the real-name
    record again). Raises DomainError if it no longer matches or is not pending."""
    fresh = PayoutAccount.objects.select_related("user").get(pk=account.pk)
    try:
        _check_holder(fresh.user, fresh.holder_name)
    except PayoutAccountError as exc:
        raise DomainError(exc.message, code=exc.code) from exc
    return _decide(account=fresh, operator=operator, status=PayoutAccountStatus.VERIFIED, note=note)


@transaction.atomic
def payout_account_reject(*, account: PayoutAccount, operator: User, note: str) -> PayoutAccount:
    """An operator refuses the account, saying why (shown to the party)."""
    if not note.strip():
        raise DomainError(_("请填写驳回原因，达人或机构会看到它。"), code="payout_account.no_note")
    return _decide(
        account=account, operator=operator, status=PayoutAccountStatus.REJECTED, note=note
    )
