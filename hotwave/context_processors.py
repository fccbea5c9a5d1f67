"""Template context shared by every page: the role-aware 个人中心 navigation."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MERCHANT, CREATOR, AGENCY, PROVIDER = "merchant", "creator", "agency", "provider"
ALL = (MERCHANT, CREATOR, AGENCY, PROVIDER)


@dataclass(frozen=True)
class NavItem:
    label: Promise
    url_name: str
    roles: tuple[str, ...]
    icon: str


# Order is the order in the sidebar. Items whose URL is not (yet) routed are
# left out rather than linking to nothing.
NAV: tuple[NavItem, ...] = (
    NavItem(_("工作台"), "workbench:home", ALL, "home"),
    NavItem(_("主播广场"), "cooperation:plaza", (MERCHANT,), "plaza"),
    NavItem(_("选品广场"), "cooperation:hot_products", (CREATOR,), "fire"),
    NavItem(_("我的商品"), "cooperation:product_list", (MERCHANT,), "box"),
    NavItem(_("合作任务"), "cooperation:task_list", (MERCHANT, CREATOR), "tasks"),
    NavItem(_("带货车"), "cooperation:cart", (CREATOR,), "cart"),
    NavItem(_("机构绑定"), "settlement:binding_list", (CREATOR, AGENCY), "link"),
    NavItem(_("旗下达人成绩"), "cooperation:agency_roster", (AGENCY,), "tasks"),
    NavItem(_("资金账户"), "settlement:fund_account", ALL, "wallet"),
    NavItem(_("准入中心"), "admission:center", ALL, "shield"),
    NavItem(_("帮助中心"), "workbench:help_index", ALL, "help"),
    NavItem(_("修改密码"), "password_change", ALL, "key"),
)


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    path = request.path
    for item in NAV:
        if user.role not in item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
    return {"nav_items": items}
