"""Product images and counter-offers (issue 18, items 3 and 5) in a real browser.

1. demo_merchant uploads a photo to a product, makes it the cover and sees it in 我的商品;
   a renamed PDF is refused at the field. demo_creator (phone) sees the drawn demo
   images on 热销商品, in the cart and on its funds page — in Chinese and in English.
2. demo_merchant invites demo_creator; the creator (phone) counters with a lower slot
   fee and a later date; the merchant sees the counter-offer in its to-dos, accepts it
   in the dialog, and the task proceeds on the new terms with the new fee in escrow.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from cooperation.models import CounterOffer, Product, ProductImage, Task, TaskState
from settlement.models import EscrowHold, EscrowStatus
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 900}


def _photo() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (1200, 900), "#f4e1c1")
    for x in range(300, 900):
        for y in range(250, 650, 40):
            image.putpixel((x, y), (120, 70, 30))
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _context(browser, live_server, *, language="zh-hans", phone=False):
    ctx = browser.new_context(
        viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone
    )
    ctx.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return ctx


def _images_loaded(page) -> None:
    # Every thumbnail on the page really arrived (served by /media/ with DEBUG off); the
    # lazy ones below the fold are asked for now.
    page.evaluate(
        "() => document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    broken = page.evaluate(
        "() => [...document.querySelectorAll('img.product-thumb, img.image-tile__img')]"
        ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == []


def test_merchant_uploads_images_and_creators_see_thumbnails(
    browser, live_server, login, shot, demo_world
):
    product = Product.objects.get(merchant__user__username="demo_merchant", sku="DM-002")
    before = product.images.count()
    m = _context(browser, live_server).new_page()
    login(m, live_server, "demo_merchant")
    m.goto(f"{live_server.url}/products/{product.pk}/images/")
    form = m.locator("#image-upload")
    form.locator("#id_image").set_input_files(
        files=[{"name": "scan.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 not a photo"}]
    )
    form.get_by_role("button", name="上传", exact=True).click()
    expect(form.locator(".field__error")).to_contain_text("这不是 JPG、PNG 或 WebP 图片。")
    assert product.images.count() == before
    form = m.locator("#image-upload")
    form.locator("#id_image").set_input_files(
        files=[{"name": "收纳盒.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    with m.expect_navigation():
        form.get_by_role("button", name="上传", exact=True).click()
    expect(m.locator(".alert--success")).to_contain_text("图片已上传")
    expect(m.locator(".image-tile")).to_have_count(before + 1)
    newest = ProductImage.objects.filter(product=product).order_by("-pk").first()
    with m.expect_navigation():
        m.locator(f"#image-{newest.pk}").get_by_role("button", name="设为封面").click()
    assert product.images.order_by("position").first() == newest
    _images_loaded(m)
    shot(m, "product-images-desktop-zh")
    m.goto(f"{live_server.url}/products/")
    expect(m.locator(f"img[src='{newest.thumb.url}']")).to_be_visible()
    _images_loaded(m)
    shot(m, "product-list-thumbs-desktop-zh")

    # The merchant's pages in English, desktop; the creator's on a phone, both languages.
    en = _context(browser, live_server, language="en").new_page()
    login(en, live_server, "demo_merchant")
    en.goto(f"{live_server.url}/products/{product.pk}/images/")
    expect(en.locator("h1")).to_have_text("Product images")
    _images_loaded(en)
    shot(en, "product-images-desktop-en")
    for language in ("zh-hans", "en"):
        c = _context(browser, live_server, language=language, phone=True).new_page()
        login(c, live_server, "demo_creator")
        for path, name in (("/hot/", "hot"), ("/cart/", "cart"), ("/funds/?tab=pending", "funds")):
            c.goto(f"{live_server.url}{path}")
            assert c.locator("img.product-thumb").count() > 0, path
            _images_loaded(c)
            shot(c, f"thumbs-{name}-phone-{language}")
        c.set_viewport_size(DESKTOP)
        c.goto(f"{live_server.url}/hot/")
        _images_loaded(c)
        shot(c, f"thumbs-hot-desktop-{language}")


def test_creator_counters_an_invitation_and_the_merchant_accepts(
    browser, live_server, login, shot, demo_world
):
    from admission.models import User
    from cooperation.services.tasks import task_create

    merchant = User.objects.get(username="demo_merchant")
    creator = User.objects.get(username="demo_creator")
    task = task_create(
        actor=merchant,
        creator=creator.creator,
        products=[Product.objects.get(merchant__user=merchant, sku="DM-004")],
        slot_fee=Decimal("3000.00"),
        planned_live_date=timezone.localdate() + timedelta(days=5),
        note="咖啡豆周末专场。",
    )
    later = (task.planned_live_date + timedelta(days=2)).isoformat()

    # The creator, on a phone, counters once: a lower fee and a later date.
    c = _context(browser, live_server, phone=True).new_page()
    login(c, live_server, "demo_creator")
    c.goto(f"{live_server.url}/tasks/{task.pk}/")
    form = c.locator("form.task-action--counter_offer")
    expect(form.locator("#id_slot_fee")).to_have_value("3000.00")
    form.locator("#id_slot_fee").fill("-1")
    form.get_by_role("button", name="提出议价").click()
    expect(c.locator("form.task-action--counter_offer .field__error")).to_contain_text(
        "坑位费不能为负数。"
    )
    assert not CounterOffer.objects.filter(task=task).exists()
    form = c.locator("form.task-action--counter_offer")
    form.locator("#id_slot_fee").fill("2400")
    form.locator("#id_planned_live_date").fill(later)
    form.locator("#id_note").fill("周日晚上档期更好")
    shot(c, "counter-offer-form-phone-zh")
    form.get_by_role("button", name="提出议价").click()
    expect(c.locator(".task-counter")).to_contain_text("¥2,400.00")
    expect(c.locator("form.task-action--counter_offer")).to_have_count(0)  # once only
    expect(c.get_by_role("button", name="接受邀请")).to_have_count(0)
    shot(c, "counter-offer-sent-phone-zh")

    # The merchant finds it among its to-dos and accepts in the dialog.
    m = _context(browser, live_server).new_page()
    login(m, live_server, "demo_merchant")
    todo = m.locator(".wb-todo a", has_text="待答复的议价")
    expect(todo).to_be_visible()
    todo.click()
    m.locator(f"a[href='/tasks/{task.pk}/']").first.click()
    expect(m.locator(".task-counter")).to_contain_text("¥3,000.00")
    expect(m.locator(".task-timeline")).to_contain_text("达人议价")
    shot(m, "counter-offer-merchant-desktop-zh")
    m.get_by_role("button", name="接受议价").click()
    dialog = m.get_by_role("dialog")
    expect(dialog).to_contain_text("¥2,400.00")
    with m.expect_navigation():
        dialog.locator("[type=submit]").click()
    expect(m.locator(".task-state")).to_have_text("待寄样")
    expect(m.locator(".alert--success")).to_contain_text("已接受议价")
    shot(m, "counter-offer-accepted-desktop-zh")
    task.refresh_from_db()
    assert task.state == TaskState.ACCEPTED
    assert (task.slot_fee, task.planned_live_date.isoformat()) == (Decimal("2400.00"), later)
    hold = EscrowHold.objects.get(key=f"task:{task.pk}")
    assert (hold.amount, hold.status) == (Decimal("2400.00"), EscrowStatus.HELD)

    en = _context(browser, live_server, language="en", phone=True).new_page()
    login(en, live_server, "demo_creator")
    en.goto(f"{live_server.url}/tasks/{task.pk}/")
    expect(en.locator(".task-counter h2")).to_have_text("Counter-offer")
    shot(en, "counter-offer-accepted-phone-en")
    assert Task.objects.filter(pk=task.pk, countered_at__isnull=False).exists()
