"""The shared "world" of the access matrix and the fuzz tests.

One of each persona and one object of each kind, made with the project's
factories and services: the owner merchant's product, restricted product and
task with ``creator_in`` (who is bound to ``agency``), a 定向计划 on the product with
``creator_in``'s application waiting, a sample quota with ``creator_in``'s request
waiting, an order paid under that
binding, a Tmall shop's pending operating-account request to the owner, a help
article and a success case.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from admission.models import OperatingAccountRequest, RestrictedProduct, SellerType
from conversations.models import RestrictionKind
from conversations.services import message_send, restrict, thread_for_binding, thread_for_task
from cooperation.models import CartItem, PlanKind
from cooperation.services.plans import plan_apply, plan_create, plan_creator_add
from cooperation.services.samples import sample_quota_set, sample_request_create
from notifications.kinds import Kind
from notifications.models import Notification
from notifications.services import notify
from settlement.models import Order
from settlement.services.events import ingest_objects
from tests.admission.factories import (
    AgencyFactory,
    CreatorFactory,
    MerchantFactory,
    OperatorFactory,
    ProviderFactory,
)
from tests.cooperation.factories import bind, image_bytes, with_image
from tests.cooperation.task_factories import ProductFactory, admit, make_task
from tests.settlement.factories import confirmed, paid
from workbench.models import HelpArticle, HelpCategory, SuccessCase


class World:
    pass


def build_world() -> World:
    w = World()
    w.users = {}
    m = MerchantFactory(user__username="acc_owner").user
    m2 = MerchantFactory(
        user__username="acc_tmall", seller_type=SellerType.TMALL, shop_name="天猫旗舰店"
    ).user
    c_in = CreatorFactory(user__username="acc_creator_in").user
    c_out = CreatorFactory(user__username="acc_creator_out").user
    a = AgencyFactory(user__username="acc_agency").user
    a2 = AgencyFactory(user__username="acc_agency2").user
    prov = ProviderFactory(user__username="acc_provider").user
    op = OperatorFactory(username="acc_operator")
    admit(m, m2, c_in, c_out, a, a2, prov)
    w.users = {
        "merchant": m,
        "other_merchant": m2,
        "creator_in": c_in,
        "creator_out": c_out,
        "agency": a,
        "other_agency": a2,
        "provider": prov,
        "operator": op,
    }
    w.creator_in = c_in.creator
    w.binding = bind(c_in.creator, a.agency, share="0.30")
    w.product = ProductFactory(merchant=m.merchant)
    w.task = make_task(merchant=m, creator=c_in, products=[w.product])
    CartItem.objects.create(creator=c_in.creator, product=w.product)
    w.image = with_image(w.product)
    w.plan = plan_create(
        merchant=m.merchant, product=w.product, kind=PlanKind.TARGETED, rate=Decimal("0.30")
    )
    w.application = plan_apply(plan=w.plan, creator=c_in.creator)
    chosen = CreatorFactory()  # 指定达人: a creator the merchant put on the plan's list
    admit(chosen.user)
    w.member = plan_creator_add(plan=w.plan, handle=chosen.user.username)
    sample_quota_set(merchant=m.merchant, product=w.product, quota=5)
    w.sample = sample_request_create(
        creator=c_in.creator,
        product=w.product,
        planned_live_date=timezone.localdate() + timedelta(days=7),
    )
    w.restricted = RestrictedProduct.objects.create(
        merchant=m.merchant, sku="SKU-RESTRICTED", reason="需资质"
    )
    w.operating_request = OperatingAccountRequest.objects.create(
        shop=m2.merchant, account=m, created_at=timezone.now()
    )
    when = (timezone.now() - timedelta(days=2)).isoformat()
    tally = ingest_objects(
        [
            paid("ACC-1", m, c_in, "99.99", "0.15", when),
            confirmed("ACC-1", (timezone.now() - timedelta(days=1)).isoformat()),
        ]
    )
    assert tally.accepted == 2, tally
    w.order = Order.objects.get(order_id="ACC-1")
    assert w.order.rule == "agency"
    category, _ = HelpCategory.objects.get_or_create(slug="acc-help", defaults={"name_zh": "入门"})
    w.article = HelpArticle.objects.create(
        category=category, slug="acc-help", title_zh="帮助", body_zh="正文", published=True
    )
    w.case = SuccessCase.objects.create(
        slug="acc-case",
        party_kind="merchant",
        party_name="店铺",
        title_zh="案例",
        summary_zh="摘要",
        story_zh="故事",
        published=True,
    )
    notify(
        recipient=m,
        kind=Kind.INVITATION_ACCEPTED,
        key="acc:notice",
        url=f"/tasks/{w.task.pk}/",
        context={"creator": "acc", "task": w.task.reference},
    )
    w.notification = Notification.objects.get(recipient=m, key="acc:notice")
    w.thread = thread_for_task(task=w.task)
    w.image_message = message_send(
        thread=w.thread, actor=m, body="", image=image_bytes(), product_id=w.product.pk
    )
    w.restriction = restrict(actor=w.creator_in.user, merchant=m, kind=RestrictionKind.MUTE)
    # The binding invitation's thread: its agency and its creator, nobody else.
    w.binding_thread = thread_for_binding(binding=w.binding)
    message_send(thread=w.binding_thread, actor=a, body="acc binding hello")
    return w
