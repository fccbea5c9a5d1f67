"""The page registry: every page type a person can reach, and who reaches it.

The whole-site browser checks (``test_sweep_axe.py``: axe-core, WCAG 2.2 AA;
``test_sweep_english.py``: no Chinese in the English UI outside user content;
screenshots with ``HOTWAVE_SWEEP_SHOTS=1``) visit each entry as each of its
roles, in both languages, at desktop and phone width, against one seeded demo
world (``seed_demo``). **Add your page here when you add a page**: a name, the
demo users who see it, and how to find its URL in the demo world.

``url`` is a path, or a callable ``(username) -> path`` run against the seeded
database (for pages about an object: that user's task, order, binding…).
Operator (Django admin) pages are listed from ``admin.site`` by themselves:
the index, each app's index, and each registered model (that the operator's
group may view) with its list, add form and the change form of its first object.

How much each check visits (``tests/e2e/sweep.py``): the English check renders
every page as every one of its roles (the test client, no browser); the axe
check visits every (page, role) once in a browser, in one of the four
language × width combinations, taking turns so that each page is seen in all
four (a ``shared`` page: once per combination). ``HOTWAVE_SWEEP=full`` visits
everything in every combination, and ``HOTWAVE_SWEEP_SHOTS=1`` saves a
screenshot of each visit under var/screenshots/sweep/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

ANONYMOUS = "anonymous"
MERCHANTS = ("demo_merchant", "demo_tmall")
CREATORS = ("demo_creator", "demo_streamer", "demo_newbie")
ADMITTED_CREATORS = ("demo_creator", "demo_streamer")
AGENCIES = ("demo_agency",)
PARTIES = MERCHANTS + CREATORS + AGENCIES
OPERATOR = "demo_operator"
ROLES = (ANONYMOUS, *PARTIES, OPERATOR)


@dataclass(frozen=True)
class Page:
    name: str
    roles: tuple[str, ...]
    url: str | Callable[[str], str]
    # The body is the same whoever looks (help, cases, errors): the browser checks
    # see it once per language × width, as a different role each time.
    shared: bool = False

    def path_for(self, username: str) -> str:
        return self.url(username) if callable(self.url) else self.url


# --- finding objects of the demo world ------------------------------------------------


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _task(username, *states):
    from django.db.models import Q

    from cooperation.models import Task

    user = _user(username)
    tasks = Task.objects.filter(Q(merchant__user=user) | Q(creator__user=user))
    if states:
        tasks = tasks.filter(state__in=states)
    task = tasks.order_by("pk").first()
    assert task is not None, f"the demo world has no task {states or ''} for {username}"
    return reverse("cooperation:task_detail", kwargs={"pk": task.pk})


def _product_plans(username, sku):
    from cooperation.models import Product

    product = Product.objects.get(merchant__user__username=username, sku=sku)
    return reverse("cooperation:product_plans", kwargs={"pk": product.pk})


def _plan_creators(username, sku):
    from cooperation.models import PlanKind, PromotionPlan

    plan = PromotionPlan.objects.filter(
        product__merchant__user__username=username, product__sku=sku, kind=PlanKind.TARGETED
    ).first()
    assert plan is not None, f"the demo world has no targeted plan on {sku}"
    return reverse("cooperation:plan_creators", kwargs={"pk": plan.pk}) + "?q=demo"


def _product_samples(username, sku):
    from cooperation.models import Product

    product = Product.objects.get(merchant__user__username=username, sku=sku)
    return reverse("cooperation:product_samples", kwargs={"pk": product.pk})


def _creator_plans(sku):
    from cooperation.models import Product

    product = Product.objects.get(sku=sku)
    return reverse("cooperation:product_plans_for_creator", kwargs={"product_pk": product.pk})


def _order(username):
    from django.db.models import Q

    from settlement.models import Order

    user = _user(username)
    order = (
        Order.objects.filter(
            Q(merchant__user=user) | Q(creator__user=user) | Q(agency__user=user),
            settled_at__isnull=False,
        )
        .order_by("-paid_at")
        .first()
    )
    assert order is not None, f"the demo world has no settled order for {username}"
    return reverse("settlement:fund_order", kwargs={"order_id": order.order_id})


def _binding(username):
    from django.db.models import Q

    from settlement.models import Binding

    user = _user(username)
    binding = Binding.objects.filter(Q(creator__user=user) | Q(agency__user=user)).first()
    assert binding is not None, f"the demo world has no binding for {username}"
    return reverse("settlement:binding_detail", kwargs={"pk": binding.pk})


def _thread(username):
    from django.db.models import Q

    from conversations.models import Thread

    user = _user(username)
    thread = Thread.objects.filter(Q(merchant=user) | Q(creator=user)).order_by("pk").first()
    assert thread is not None, f"the demo world has no conversation for {username}"
    return reverse("conversations:thread", kwargs={"pk": thread.pk})


def _binding_thread(username):
    from conversations.models import Thread

    user = _user(username)
    thread = Thread.objects.filter(binding__isnull=False, agency=user).first() or (
        Thread.objects.filter(binding__isnull=False, creator=user).first()
    )
    assert thread is not None, f"the demo world has no binding conversation for {username}"
    return reverse("conversations:thread", kwargs={"pk": thread.pk})


def _creator_home(username):
    from admission.models import Creator

    if username in CREATORS:
        pk = _user(username).creator.pk
    else:
        pk = Creator.objects.get(user__username="demo_creator").pk
    return reverse("cooperation:creator_detail", kwargs={"pk": pk})


def _cooperate(username):
    from admission.models import Creator

    pk = Creator.objects.get(user__username="demo_creator").pk
    return reverse("cooperation:task_create", kwargs={"pk": pk})


def _recorded_creator_home(username):
    """The homepage of the plaza creator with the best verified 履约率 (demo records)."""
    from cooperation.models import CreatorScorecard

    card = (
        CreatorScorecard.objects.filter(fulfilment_rate__isnull=False)
        .order_by("-fulfilment_rate", "-tasks_completed", "creator_id")
        .first()
    )
    assert card is not None, "the demo world has no creator with a track record"
    return reverse("cooperation:creator_detail", kwargs={"pk": card.creator_id})


def _merchant_page(username):
    return reverse("cooperation:merchant_detail", kwargs={"pk": _user("demo_merchant").pk})


def _cooperate_again(username):
    from cooperation.models import Task

    task = (
        Task.objects.filter(merchant__user__username=username, state="completed")
        .order_by("pk")
        .first()
    )
    assert task is not None, f"the demo world has no completed task for {username}"
    url = reverse("cooperation:task_create", kwargs={"pk": task.creator_id})
    return f"{url}?again={task.pk}"


def _product_edit(username):
    from cooperation.models import Product

    product = Product.objects.filter(merchant__user__username=username).order_by("pk").first()
    return reverse("cooperation:product_edit", kwargs={"pk": product.pk})


def _product_images(username):
    from cooperation.models import ProductImage

    image = ProductImage.objects.filter(product__merchant__user__username=username).first()
    assert image is not None, f"the demo world has no product image for {username}"
    return reverse("cooperation:product_images", kwargs={"pk": image.product_id})


def _countered_task(username):
    from django.db.models import Q

    from cooperation.models import Task

    user = _user(username)
    task = (
        Task.objects.filter(Q(merchant__user=user) | Q(creator__user=user))
        .filter(countered_at__isnull=False)
        .first()
    )
    assert task is not None, f"the demo world has no counter-offer for {username}"
    return reverse("cooperation:task_detail", kwargs={"pk": task.pk})


def _help_article(username):
    from workbench.models import HelpArticle

    article = HelpArticle.objects.filter(published=True).order_by("pk").first()
    return reverse("workbench:help_article", kwargs={"slug": article.slug})


def _case(username):
    from workbench.models import SuccessCase

    case = SuccessCase.objects.filter(published=True).order_by("pk").first()
    return reverse("workbench:case_detail", kwargs={"slug": case.slug})


# --- the registry -------------------------------------------------------------------------

PAGES: tuple[Page, ...] = (
    # anyone
    Page("login", (ANONYMOUS,), "/accounts/login/"),
    # every party
    Page("workbench", PARTIES, "/"),
    Page("help-index", PARTIES, "/help/", shared=True),
    Page("help-article", PARTIES, _help_article, shared=True),
    Page("case-index", PARTIES, "/cases/", shared=True),
    Page("case-detail", PARTIES, _case, shared=True),
    Page("admission", PARTIES, "/admission/"),
    Page("funds", PARTIES, "/funds/"),
    Page("funds-pending", PARTIES, "/funds/?tab=pending"),
    Page(
        "funds-clawbacks", ("demo_merchant", "demo_creator", "demo_agency"), "/funds/?tab=clawbacks"
    ),
    Page("funds-payouts", (*CREATORS, *AGENCIES), "/funds/?tab=payouts"),
    Page("funds-creators", MERCHANTS, "/funds/?tab=creators"),
    Page("funds-escrow", ("demo_merchant", "demo_creator", "demo_agency"), "/funds/?tab=escrow"),
    Page("funds-statement", PARTIES, "/funds/?tab=statement"),
    Page("statement", PARTIES, "/funds/statements/"),
    Page(
        "statement-print",
        ("demo_merchant", "demo_creator", "demo_agency"),
        "/funds/statements/?print=1",
    ),
    Page("top-up", MERCHANTS, "/funds/top-up/"),
    Page("password-change", PARTIES, "/accounts/password/", shared=True),
    Page("notifications", PARTIES, "/notifications/"),
    Page("notifications-all", PARTIES, "/notifications/?show=all"),
    Page("notification-settings", PARTIES, "/notifications/settings/"),
    Page("messages", PARTIES, "/messages/"),
    Page("not-found", PARTIES, "/no-such-page/", shared=True),
    # merchants
    Page("products", MERCHANTS, "/products/"),
    Page("product-new", MERCHANTS, "/products/new/"),
    Page("product-edit", MERCHANTS, _product_edit),
    Page("product-images", MERCHANTS, _product_images),
    Page("product-plans", ("demo_merchant",), lambda u: _product_plans(u, "DM-003")),
    Page("plan-applications", MERCHANTS, "/plans/applications/?status=pending"),
    Page("plan-creators", ("demo_merchant",), lambda u: _plan_creators(u, "DM-003")),
    Page("product-samples", ("demo_merchant",), lambda u: _product_samples(u, "DM-003")),
    Page("sample-list", MERCHANTS, "/samples/?status=pending"),
    Page("plaza", MERCHANTS, "/plaza/"),
    Page("plaza-filtered", ("demo_merchant",), "/plaza/?category=&sort=fans&page=999"),
    Page("creator-home", (*MERCHANTS, *ADMITTED_CREATORS), _creator_home),
    Page("cooperate", MERCHANTS, _cooperate),
    # scorecards (issue 17)
    Page("plaza-by-fulfilment", MERCHANTS, "/plaza/?sort=-fulfilment&fulfilment_min=0.8"),
    Page("creator-home-record", MERCHANTS, _recorded_creator_home),
    Page("cooperate-again", ("demo_merchant",), _cooperate_again),
    Page("merchant-page", (*ADMITTED_CREATORS, *AGENCIES, "demo_merchant"), _merchant_page),
    Page("scorecard-help", PARTIES, "/scorecards/how/", shared=True),
    Page("roster", AGENCIES, "/roster/"),
    # merchants and creators
    Page("tasks", MERCHANTS + CREATORS, "/tasks/"),
    Page("task-invited", ("demo_merchant", "demo_streamer"), lambda u: _task(u, "invited")),
    Page("task-shipped", ("demo_merchant", "demo_streamer"), lambda u: _task(u, "shipped")),
    Page(
        "task-live-reported", ("demo_merchant", "demo_creator"), lambda u: _task(u, "live_reported")
    ),
    Page("task-completed", ("demo_merchant", "demo_creator"), lambda u: _task(u, "completed")),
    Page("task-declined", ("demo_merchant",), lambda u: _task(u, "declined")),
    Page("task-countered", ("demo_tmall", "demo_streamer"), _countered_task),
    Page("tasks-counter-offers", MERCHANTS, "/tasks/?state=invited&countered=1"),
    Page("task-disputed", ("demo_tmall", "demo_creator"), lambda u: _task(u, "disputed")),
    Page("task-resolved", ("demo_tmall", "demo_streamer"), lambda u: _task(u, "resolved")),
    Page("tasks-due-soon", MERCHANTS + CREATORS, "/tasks/?due=soon"),
    Page("thread", ("demo_merchant", "demo_tmall", "demo_creator"), _thread),
    Page("message-restrictions", CREATORS, "/messages/restrictions/"),
    # creators
    Page("hot-products", CREATORS, "/hot/"),
    Page("square-filtered", ADMITTED_CREATORS, "/hot/?q=茶&plan=any&sort=earnings&samples=on"),
    Page("square-empty", ("demo_creator",), "/hot/?q=no-such-product"),
    Page("square-unrestricted", ADMITTED_CREATORS, "/hot/?unrestricted=on&sort=rate"),
    Page("creator-plans", ADMITTED_CREATORS, lambda u: _creator_plans("DM-003")),
    Page("creator-plans-short", ("demo_creator",), lambda u: _creator_plans("DM-004")),
    Page("cart-rate-cuts", ("demo_creator",), "/cart/?rate_cut=1"),
    Page("cart", CREATORS, "/cart/"),
    # creators and agencies
    Page("bindings", CREATORS + AGENCIES, "/bindings/"),
    Page("binding", ("demo_streamer", "demo_agency"), _binding),
    Page("binding-thread", ("demo_streamer", "demo_agency"), _binding_thread),
    Page("fund-order", ("demo_merchant", "demo_creator", "demo_streamer", "demo_agency"), _order),
)


def admin_pages() -> list[Page]:
    """Django admin as the operator sees it: index, app indexes, each model's pages."""
    from django.contrib import admin

    pages = [Page("admin", (OPERATOR,), reverse("admin:index"))]
    apps = []
    request = _FakeRequest()
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_permission(request):
            continue  # the operator's group does not see it (auth groups, axes' logs)
        meta = model._meta
        if meta.app_label not in apps:
            apps.append(meta.app_label)
            pages.append(
                Page(
                    f"admin-{meta.app_label}",
                    (OPERATOR,),
                    reverse("admin:app_list", kwargs={"app_label": meta.app_label}),
                )
            )
        base = f"admin:{meta.app_label}_{meta.model_name}"
        pages.append(
            Page(f"admin-{meta.model_name}-list", (OPERATOR,), reverse(f"{base}_changelist"))
        )
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(
                Page(
                    f"admin-{meta.model_name}-change",
                    (OPERATOR,),
                    reverse(f"{base}_change", args=[first.pk]),
                )
            )
        if model_admin.has_add_permission(request):
            pages.append(Page(f"admin-{meta.model_name}-add", (OPERATOR,), reverse(f"{base}_add")))
    # Admin pages that are not a model's: the rate reconciliation of promotion plans.
    pages.append(
        Page(
            "admin-plan-reconciliation",
            (OPERATOR,),
            reverse("admin:cooperation_promotionplan_reconciliation"),
        )
    )
    return pages


class _FakeRequest:
    """Enough of a request for the admin's permission checks, as the demo operator."""

    def __init__(self):
        self.user = _user(OPERATOR)


def all_pages() -> list[Page]:
    """The registry with the admin pages, resolved against the current database's admin."""
    return [*PAGES, *admin_pages()]
