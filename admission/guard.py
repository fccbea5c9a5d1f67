"""The one gate other apps call before an action (SPEC §2).

Admission is evaluated from current data on every call, so a party that loses a
qualification is stopped at once. Callers catch :class:`NotAdmitted` /
:class:`ProductRestricted` (both ``DomainError``) and show ``message`` and
``reasons`` where the user acted.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from admission import product_titles, rules
from admission.exceptions import NotAdmitted, ProductRestricted
from admission.models import (
    Activity,
    MarketingCompliance,
    PermissionStatus,
    ProductPermission,
    RestrictedProduct,
    User,
)

# Known actions (callers may pass others; they get a generic wording).
ACTIONS = {
    "publish": gettext_lazy("发布商品"),
    "invite": gettext_lazy("邀请达人合作"),
    "accept": gettext_lazy("接受合作"),
    "be_invited": gettext_lazy("接受合作邀请"),
    "be_recommended": gettext_lazy("被推荐"),
    "cart_add": gettext_lazy("加入带货车"),
    "plan_apply": gettext_lazy("申请推广计划"),
    "bind": gettext_lazy("建立机构绑定"),
    "earn": gettext_lazy("获得佣金"),
    "activity_join": gettext_lazy("参加官方活动"),
}


def _action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label else _("进行此操作")


def activity_conditions(
    user: User, activity: Activity, *, now: datetime | None = None
) -> list[rules.Condition]:
    """The activity's own requirements for ``user``: still open, compliant for what is left of it."""
    now = now or timezone.now()
    url = rules._url("marketing_compliance")
    open_ = now < activity.ends_at
    out = [
        rules.Condition(
            "activity_open",
            open_,
            _("活动进行中"),
            _("官方活动「%(name)s」进行中") % {"name": activity.name}
            if open_
            else _("官方活动「%(name)s」已于 %(end)s 结束")
            % {
                "name": activity.name,
                "end": date_format(timezone.localtime(activity.ends_at), "Y-m-d H:i"),
            },
            url,
            rules.OPERATOR,
        )
    ]
    if activity.requires_marketing_compliance and open_:
        # Compliance must cover what remains of the activity, [max(start, now), end].
        start = max(activity.starts_at, now)
        ok = MarketingCompliance.objects.filter(
            user=user, valid_from__lte=start, valid_until__gte=activity.ends_at
        ).exists()
        out.append(
            rules.Condition(
                "marketing_compliance",
                ok,
                _("营销规范合规"),
                _("活动期间营销规范合规")
                if ok
                else _("官方活动「%(name)s」要求活动期间营销规范合规，你的合规记录未覆盖活动期")
                % {"name": activity.name},
                url,
                rules.OPERATOR,
                how=_(
                    "营销规范合规由平台运营依据你的营销行为审核登记，如需参加活动请联系平台运营。"
                ),
            )
        )
    return out


def require_admitted(user: User, *, action: str, activity: Activity | None = None) -> None:
    """Refuse ``action`` unless ``user`` is admitted now (and complies during ``activity``).

    Raises NotAdmitted with the unmet conditions' messages as ``reasons``.
    """
    verdict = rules.evaluate(user)
    unmet = list(verdict.unmet)
    reasons = list(verdict.reasons)
    if activity is not None:
        extra = [c for c in activity_conditions(user, activity) if not c.met]
        unmet += extra
        reasons += [c.message for c in extra]
    if verdict.admitted and not unmet:
        return
    party = user.display_name
    if verdict.admitted:
        message = _("%(party)s 不满足官方活动的准入要求，不能%(action)s。")
    else:
        message = _("%(party)s 尚未通过准入，不能%(action)s。")
    raise NotAdmitted(
        message % {"party": party, "action": _action_label(action)},
        reasons=reasons,
        conditions=unmet,
        action=action,
    )


def require_product_allowed(*, merchant, sku: str, title: str = "") -> None:
    """Refuse cooperation on a restricted product without permission. Raises ProductRestricted.

    ``merchant`` is the ``Merchant`` (or its ``User``; both share the primary key).
    The refusal names the product by ``title`` (looked up when not given).
    """
    merchant_id = merchant.pk
    restriction = RestrictedProduct.objects.filter(merchant_id=merchant_id, sku=sku).first()
    if restriction is None:
        return
    if ProductPermission.objects.filter(
        merchant_id=merchant_id, sku=sku, status=PermissionStatus.GRANTED
    ).exists():
        return
    name = title or product_titles.title_of(merchant_id, sku)
    raise ProductRestricted(
        _("商品「%(title)s」为限制推广商品，未获平台授权，不能推广。") % {"title": name},
        reasons=[
            _("限制原因：%(reason)s") % {"reason": restriction.reason},
            _("商家可在准入中心申请该商品的推广权限，经平台运营授权后方可合作。"),
        ],
        sku=sku,
        reason=restriction.reason,
    )
