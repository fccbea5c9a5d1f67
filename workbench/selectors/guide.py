"""操作指引: the role's core flow as numbered steps, each marked done from real data."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from admission.models import Role
from admission.selectors import is_admitted
from cooperation.selectors import figures as cooperation_figures
from settlement.selectors import agency_binding_marks, figures
from workbench.selectors.links import safe_reverse


@dataclass(frozen=True)
class GuideStep:
    title: str
    url: str | None
    done: bool
    hint: str = ""


@dataclass(frozen=True)
class Guide:
    steps: list[GuideStep]
    help_url: str | None

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s.done)

    @property
    def next_step(self) -> GuideStep | None:
        return next((s for s in self.steps if not s.done), None)


def guide_for(user) -> Guide:
    """The role's core flow as numbered steps, each marked done from the user's real data."""
    admitted = is_admitted(user)
    admission = GuideStep(
        _("完成准入"),
        safe_reverse("admission:center"),
        admitted,
        _("满足准入条件后才能发起或接受合作"),
    )
    help_url = safe_reverse("workbench:help_index")
    if user.role == Role.MERCHANT:
        marks = cooperation_figures.task_milestones(party="merchant", party_id=user.pk)
        has_products = cooperation_figures.has_products(merchant_id=user.pk)
        settled = figures.has_settled_orders(party="merchant", party_id=user.pk)
        steps = [
            admission,
            GuideStep(
                pgettext("guide step", "发布商品"),
                safe_reverse("cooperation:product_list"),
                has_products,
                _("设置价格与服务费率"),
            ),
            GuideStep(
                _("挑选达人"),
                safe_reverse("cooperation:plaza"),
                marks["created"] > 0,
                _("在主播广场按类目、粉丝、场均观看筛选"),
            ),
            GuideStep(
                _("发起合作"),
                safe_reverse("cooperation:task_list"),
                marks["accepted"] > 0,
                _("达人接受邀请即达成合作"),
            ),
            GuideStep(
                _("寄样"),
                safe_reverse("cooperation:task_list", query="state=accepted"),
                marks["shipped"] > 0,
                _("填写快递单号寄出样品"),
            ),
            GuideStep(
                _("确认完成"),
                safe_reverse("cooperation:task_list", query="state=live_reported"),
                marks["completed"] > 0,
                _("达人直播后确认合作完成"),
            ),
            GuideStep(
                _("查看结算"),
                safe_reverse("settlement:fund_account"),
                settled,
                _("每晚结算前一日确认收货的订单"),
            ),
        ]
    elif user.role == Role.CREATOR:
        marks = cooperation_figures.task_milestones(party="creator", party_id=user.pk)
        has_cart = cooperation_figures.has_cart_items(creator_id=user.pk)
        settled = figures.has_settled_orders(party="creator", party_id=user.pk)
        steps = [
            admission,
            GuideStep(
                _("选品加入带货车 / 处理邀约"),
                safe_reverse("cooperation:hot_products")
                if not has_cart
                else safe_reverse("cooperation:task_list", query="state=invited"),
                has_cart or marks["accepted"] > 0,
                _("从热销商品选品，或接受商家的合作邀请"),
            ),
            GuideStep(
                _("签收样品"),
                safe_reverse("cooperation:task_list", query="state=shipped"),
                marks["received"] > 0,
                _("收到样品后确认签收"),
            ),
            GuideStep(
                _("直播"),
                safe_reverse("cooperation:task_list", query="state=received"),
                marks["live"] > 0,
                _("直播结束后提交直播时间与回放链接"),
            ),
            GuideStep(
                _("查看收益"),
                safe_reverse("settlement:fund_account"),
                settled,
                _("每晚结算，收益自动打款"),
            ),
        ]
    elif user.role == Role.AGENCY:
        bindings = agency_binding_marks(agency_id=user.pk)
        settled = figures.has_settled_orders(party="agency", party_id=user.pk)
        steps = [
            admission,
            GuideStep(
                _("邀请达人绑定"),
                safe_reverse("settlement:binding_list"),
                bindings["invited"] > 0,
                _("向达人发出绑定邀请并约定分成比例"),
            ),
            GuideStep(
                _("达人确认分成"),
                safe_reverse("settlement:binding_list"),
                bindings["consented"] > 0,
                _("达人同意后绑定生效"),
            ),
            GuideStep(
                _("查看机构收益"),
                safe_reverse("settlement:fund_account"),
                settled,
                _("旗下达人的订单结算后计入机构分成"),
            ),
        ]
    else:
        steps = [
            admission,
            GuideStep(_("查看资金账户"), safe_reverse("settlement:fund_account"), False),
        ]
    return Guide(steps, help_url)
