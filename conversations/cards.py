"""Product and task cards in messages: what a sender may attach, and what a viewer sees.

A card is a reference (``Message.card_product`` / ``card_task``); what it shows — title,
thumbnail, price, the rate the viewer would get, the task's status — is read from our
data each time the message is shown, never from the message text. A card for something
the viewer may not see is shown as 不可查看 and carries nothing of it.

Who may see a product: its merchant, and creators and agencies while it is promotable
(what 选品广场 shows). A task: its merchant and its creator.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from admission.models import Role, User
from cooperation.models import Product, Task
from cooperation.models.images import first_thumb
from cooperation.models.tasks import task_reference
from cooperation.selectors.plans import with_best_rate
from cooperation.selectors.products import promotable_q

ATTACH_CHOICES = 50  # how many products / tasks the compose box offers


def attachable_products(*, actor: User) -> QuerySet[Product]:
    """A merchant's own active products; for a creator, what 选品广场 shows it."""
    if actor.role == Role.MERCHANT:
        return Product.objects.filter(promotable_q(), merchant_id=actor.pk)
    if actor.role == Role.CREATOR:
        return Product.objects.filter(promotable_q())
    return Product.objects.none()


def shared_tasks(*, merchant_id: int, creator_id: int) -> QuerySet[Task]:
    return Task.objects.filter(merchant_id=merchant_id, creator_id=creator_id)


@dataclass(frozen=True)
class Choice:
    pk: int
    label: str


def compose_choices(*, thread, actor: User) -> tuple[list[Choice], list[Choice]]:
    """What the compose box offers: products (a creator: its 带货车) and the pair's tasks.
    Two queries; none in a binding thread, which offers no cards."""
    if not thread.cards_allowed:
        return [], []
    if actor.role == Role.CREATOR:
        products = attachable_products(actor=actor).filter(cart_items__creator_id=actor.pk)
    else:
        products = attachable_products(actor=actor)
    product_rows = products.order_by("-created_at", "-pk").values_list("pk", "title")[
        :ATTACH_CHOICES
    ]
    task_rows = (
        shared_tasks(merchant_id=thread.merchant_id, creator_id=thread.creator_id)
        .order_by("-created_at", "-pk")
        .values_list("pk")[:ATTACH_CHOICES]
    )
    return (
        [Choice(pk, title) for pk, title in product_rows],
        [Choice(pk, task_reference(pk)) for (pk,) in task_rows],
    )


@dataclass(frozen=True)
class ProductCard:
    pk: int
    title: str
    shop: str
    price: Decimal
    thumb_name: str | None
    rate: Decimal | None  # a creator's best rate now; the merchant's own base rate
    rate_is_own: bool  # the merchant's own product: its 服务费率, not a creator's rate


@dataclass(frozen=True)
class TaskCard:
    pk: int
    reference: str
    state: str
    state_label: str
    titles: str


def _visible_products(viewer: User) -> QuerySet[Product]:
    if viewer.role == Role.MERCHANT:
        return Product.objects.filter(merchant_id=viewer.pk)
    if viewer.role in (Role.CREATOR, Role.AGENCY):
        return Product.objects.filter(promotable_q())
    return Product.objects.none()


def attach_cards(messages, *, viewer: User) -> None:
    """Set ``product_card`` / ``task_card`` on each message with a card: the card, or None
    when the viewer may not see it. At most one query per kind of card on the page."""
    product_ids = {m.card_product_id for m in messages if m.card_product_id}
    task_ids = {m.card_task_id for m in messages if m.card_task_id}
    products: dict[int, ProductCard] = {}
    if product_ids:
        qs = _visible_products(viewer).filter(pk__in=product_ids).select_related("merchant")
        if viewer.role == Role.CREATOR:
            qs = with_best_rate(qs, creator=viewer.pk)
        for p in qs.annotate(thumb_name=first_thumb()):
            own = viewer.role == Role.MERCHANT
            products[p.pk] = ProductCard(
                pk=p.pk,
                title=p.title,
                shop=p.merchant.shop_name,
                price=p.price,
                thumb_name=p.thumb_name,
                rate=(
                    p.best_rate
                    if viewer.role == Role.CREATOR
                    else p.service_fee_rate
                    if own
                    else None
                ),
                rate_is_own=own,
            )
    tasks: dict[int, TaskCard] = {}
    if task_ids and viewer.role in (Role.MERCHANT, Role.CREATOR):
        side = "merchant_id" if viewer.role == Role.MERCHANT else "creator_id"
        qs = Task.objects.filter(pk__in=task_ids, **{side: viewer.pk}).prefetch_related("items")
        for t in qs:
            tasks[t.pk] = TaskCard(
                pk=t.pk,
                reference=t.reference,
                state=t.state,
                state_label=t.get_state_display(),
                titles="、".join(i.title for i in t.items.all()),
            )
    for m in messages:
        if m.card_product_id:
            m.product_card = products.get(m.card_product_id)
        if m.card_task_id:
            m.task_card = tasks.get(m.card_task_id)
