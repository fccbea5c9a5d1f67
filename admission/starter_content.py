"""Reference data every database starts with: categories and the first agreement version.

The data migrations (``0002_categories``, ``0004_agreement_v1``) and the demo seed
(``admission.demo``, which puts them back after a test flushes the database) both
use these functions, so no runtime code imports a migration. They take the app
registry (the historical one in a migration) and touch only fields that exist
at those migrations; they are idempotent.
"""

from __future__ import annotations

from datetime import UTC, datetime

# (code, Chinese name, English name), in display order.
CATEGORIES = [
    ("beauty", "美妆", "Beauty"),
    ("fashion", "服饰", "Fashion"),
    ("food", "食品", "Food"),
    ("mother", "母婴", "Mother & baby"),
    ("digital", "数码", "Electronics"),
    ("home", "家居", "Home"),
    ("sports", "运动", "Sports"),
    ("jewelry", "珠宝", "Jewellery"),
    ("books", "图书", "Books"),
    ("pets", "宠物", "Pets"),
]

AGREEMENT_VERSION = "2026.1"
AGREEMENT_TITLE = "Hotwave 热浪平台合作授权协议"
AGREEMENT_BODY = """\
本协议由您（以下称"合作方"）与 Hotwave 热浪平台（以下称"平台"）订立。您在准入中心点击"同意并签署"，即表示您已阅读、理解并同意本协议全部条款。

第一条 授权范围
1.1 合作方授权平台读取并使用其店铺或账号的以下数据，仅用于准入审核、合作撮合与佣金结算：店铺状态、支付宝实名认证结果、主播等级、粉丝数与场均观看等公开经营数据、推广订单的支付、确认收货与退款记录。
1.2 平台不会将上述数据用于本协议约定以外的目的，也不会向无关第三方提供。

第二条 合作与推广服务费
2.1 商家通过平台邀请达人推广商品，按商品设置的服务费率（1%–80%）就实际成交金额（支付金额减去退款金额）支付推广服务费。
2.2 推广服务费在买家确认收货后由平台每日结算：平台按规则收取软件服务费，其余部分按结算时有效的机构分成协议支付给达人及其所属机构。退款发生在结算之后的，平台按新的实际成交金额重新计算并冲正差额。
2.3 坑位费在达人接受邀请时由平台托管，任务完成后按同一规则发放，任务取消时全额退回商家。

第三条 合作方义务
3.1 合作方保证所提供的资质信息真实、有效，并在资质发生变化时及时更新；资质失效期间平台将暂停其合作资格。
3.2 合作方应遵守平台营销规范及《广告法》等法律法规，不得推广限制推广商品（平台另行授权的除外），不得虚假宣传。
3.3 参加官方活动的，合作方应在活动期间持续满足活动要求的营销规范。

第四条 协议变更
4.1 平台可能因业务或法规变化发布新版本协议。新版本生效后，合作方须重新签署方可继续合作；在重新签署之前，已签署的旧版本记录将继续保留以备查验。

第五条 其他
5.1 本协议自合作方签署之时起生效，签署的版本号与时间由平台记录。
5.2 因本协议产生的争议，双方应友好协商；协商不成的，提交平台所在地人民法院诉讼解决。
"""
AGREEMENT_PUBLISHED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def create_categories(apps, schema_editor=None) -> None:
    """The categories of ``CATEGORIES``, in that order (updated where they exist)."""
    Category = apps.get_model("admission", "Category")
    for position, (code, zh, en) in enumerate(CATEGORIES):
        Category.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "position": position}
        )


def publish_agreement_v1(apps, schema_editor=None) -> None:
    """The first published version of the authorization agreement (授权协议), once."""
    Agreement = apps.get_model("admission", "Agreement")
    Agreement.objects.get_or_create(
        version=AGREEMENT_VERSION,
        defaults={
            "title": AGREEMENT_TITLE,
            "body": AGREEMENT_BODY,
            "published_at": AGREEMENT_PUBLISHED_AT,
        },
    )


def add_agreement_v1_english(apps, schema_editor=None) -> None:
    """Version 2026.1 in English (``admission.agreement_en``): the same version, either text."""
    from admission.agreement_en import BODY_EN, TITLE_EN, VERSION

    Agreement = apps.get_model("admission", "Agreement")
    Agreement.objects.filter(version=VERSION, body_en="").update(title_en=TITLE_EN, body_en=BODY_EN)


def unpublish_agreement_v1(apps, schema_editor=None) -> None:
    apps.get_model("admission", "Agreement").objects.filter(version=AGREEMENT_VERSION).delete()


def ensure_reference_data(apps) -> None:
    """Everything above, as the migrations leave it (after a flush, for instance)."""
    create_categories(apps)
    publish_agreement_v1(apps)
    add_agreement_v1_english(apps)
