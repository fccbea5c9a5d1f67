"""商品图片: uploads checked by content, re-encoded without EXIF, five at most, reordered,
removed; someone else's product is a 404; thumbnails shown without a query per row."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image

from cooperation.images import MAX_UPLOAD_BYTES, THUMB_EDGE
from cooperation.models import MAX_IMAGES_PER_PRODUCT, ProductImage
from cooperation.services.images import (
    product_image_add,
    product_image_move,
    product_image_remove,
)
from hotwave.exceptions import DomainError
from tests.cooperation.factories import ProductFactory, image_bytes, with_image

pytestmark = pytest.mark.django_db


def images_url(product) -> str:
    return reverse("cooperation:product_images", args=[product.pk])


def stored_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (200, 100), "#3366cc")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (31.0, 14.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


# --- the service ---------------------------------------------------------------


def test_an_upload_is_re_encoded_without_exif_and_gets_a_square_thumbnail(media):
    product = ProductFactory()
    image = product_image_add(product=product, data=jpeg_with_exif())
    with Image.open(image.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()  # no Make, no GPS, no orientation left
        assert "exif" not in stored.info
        # The orientation was applied to the pixels before it was dropped.
        assert stored.size == (100, 200) == (image.width, image.height)
    with Image.open(image.thumb.path) as thumb:
        assert thumb.size == (THUMB_EDGE, THUMB_EDGE) and not thumb.getexif()
    assert image.position == 0


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_stored_as_jpeg(media, fmt):
    image = product_image_add(product=ProductFactory(), data=image_bytes(fmt))
    assert image.image.name.endswith(".jpg") and image.thumb.name.endswith("-thumb.jpg")


def test_a_transparent_png_is_flattened_on_white(media):
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, "PNG")
    image = product_image_add(product=ProductFactory(), data=out.getvalue())
    with Image.open(image.image.path) as stored:
        assert stored.mode == "RGB" and stored.getpixel((5, 5)) == (255, 255, 255)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def bomb(size: tuple[int, int]) -> bytes:
    """A tiny PNG file whose header claims ``size`` pixels (1-bit, all black)."""
    out = io.BytesIO()
    Image.new("1", size).save(out, "PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (PDF, "image.not_an_image"),
        (SVG, "image.not_an_image"),
        (image_bytes("GIF"), "image.not_an_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image.not_an_image"),
        (b"", "image.empty"),
        (b"\xff\xd8\xff" + b"\x00" * (MAX_UPLOAD_BYTES), "image.too_large"),
    ],
    ids=["renamed-pdf", "svg", "gif", "png-magic-only", "empty", "over-5mb"],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused_and_nothing_is_stored(
    media, settings, data, code
):
    product = ProductFactory()
    with pytest.raises(DomainError) as refused:
        product_image_add(product=product, data=data)
    assert refused.value.code == code
    assert not ProductImage.objects.exists() and not stored_files(settings)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(media, settings):
    product = ProductFactory()
    # 7,000 × 7,000 = 49 MP: over our 40 MP, under Pillow's own warning.
    with pytest.raises(DomainError) as refused:
        product_image_add(product=product, data=bomb((7000, 7000)))
    assert refused.value.code == "image.too_many_pixels"
    # 20,000 × 20,000: Pillow itself calls it a bomb at open.
    with pytest.raises(DomainError) as refused:
        product_image_add(product=product, data=bomb((20000, 20000)))
    assert refused.value.code == "image.too_many_pixels"
    assert not ProductImage.objects.exists() and not stored_files(settings)


def test_a_truncated_image_is_refused(media):
    data = image_bytes("PNG", size=(300, 300), color="#123456")
    with pytest.raises(DomainError) as refused:
        product_image_add(product=ProductFactory(), data=data[: len(data) // 2])
    assert refused.value.code in {"image.broken", "image.not_an_image"}


def test_at_most_five_images_per_product(media, settings):
    product = ProductFactory()
    for _ in range(MAX_IMAGES_PER_PRODUCT):
        with_image(product)
    files_before = sorted(stored_files(settings))
    with pytest.raises(DomainError) as refused:
        with_image(product)
    assert refused.value.code == "image.too_many"
    assert product.images.count() == MAX_IMAGES_PER_PRODUCT
    assert sorted(stored_files(settings)) == files_before
    assert list(product.images.values_list("position", flat=True)) == [0, 1, 2, 3, 4]


def test_move_and_remove_keep_positions_dense(media, settings, django_capture_on_commit_callbacks):
    product = ProductFactory()
    a, b, c = (with_image(product, color=color) for color in ("red", "green", "blue"))
    product_image_move(image=c, offset=-1)
    assert list(product.images.values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    product_image_move(image=a, offset=-1)  # already first: nothing changes
    product_image_move(image=b, offset=1)  # already last: nothing changes
    assert list(product.images.values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    with django_capture_on_commit_callbacks(execute=True):
        product_image_remove(image=a)
    assert list(product.images.values_list("pk", "position")) == [(c.pk, 0), (b.pk, 1)]
    assert not os.path.exists(a.image.path) and not os.path.exists(a.thumb.path)
    assert len(stored_files(settings)) == 4
    with django_capture_on_commit_callbacks(execute=True):
        product_image_remove(image=a)  # twice: nothing more happens
    assert product.images.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_uploads_racing_for_the_last_place_one_wins(media, settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    product = ProductFactory()
    for _ in range(MAX_IMAGES_PER_PRODUCT - 1):
        with_image(product)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def upload():
        barrier.wait()
        try:
            product_image_add(product=product, data=image_bytes(size=(800, 800)))
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["image.too_many", "ok"]
    assert product.images.count() == MAX_IMAGES_PER_PRODUCT
    # The loser's files were removed again: two per image kept.
    assert len(stored_files(settings)) == 2 * MAX_IMAGES_PER_PRODUCT


# --- the pages -----------------------------------------------------------------


def test_anonymous_is_sent_to_login(anonymous, merchant):
    product = ProductFactory(merchant=merchant.merchant)
    response = anonymous.get(images_url(product))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_someone_elses_product_images_are_404(client_for, merchant, other_merchant, creator, media):
    product = ProductFactory(merchant=other_merchant.merchant)
    image = with_image(product)
    move = reverse("cooperation:product_image_move", args=[product.pk, image.pk])
    remove = reverse("cooperation:product_image_remove", args=[product.pk, image.pk])
    for user in (merchant, creator):
        c = client_for(user)
        assert c.get(images_url(product)).status_code == 404
        upload = SimpleUploadedFile("x.png", image_bytes(), content_type="image/png")
        assert c.post(images_url(product), {"image": upload}).status_code == 404
        assert c.post(move, {"direction": "up"}).status_code == 404
        assert c.get(remove).status_code == 404
        assert c.post(remove).status_code == 404
    # An image of my product reached through another product's URL is a 404 too.
    mine = ProductFactory(merchant=merchant.merchant)
    wrong = reverse("cooperation:product_image_remove", args=[mine.pk, image.pk])
    assert client_for(merchant).post(wrong).status_code == 404
    assert ProductImage.objects.filter(pk=image.pk).exists()


def test_upload_reorder_and_remove_through_the_page(client_for, merchant, media):
    product = ProductFactory(merchant=merchant.merchant)
    c = client_for(merchant)
    for name, color in (("a.png", "red"), ("b.png", "blue")):
        upload = SimpleUploadedFile(name, image_bytes(color=color), content_type="image/png")
        response = c.post(images_url(product), {"image": upload})
        assert response.status_code == 302 and response.url == images_url(product)
    first, second = product.images.order_by("position")
    c.post(
        reverse("cooperation:product_image_move", args=[product.pk, second.pk]),
        {"direction": "up"},
    )
    assert product.images.order_by("position").first() == second
    body = c.get(images_url(product)).content.decode()
    assert "封面" in body and second.thumb.url in body
    confirm = c.get(reverse("cooperation:product_image_remove", args=[product.pk, first.pk]))
    assert confirm.status_code == 200 and "删除图片" in confirm.content.decode()
    c.post(reverse("cooperation:product_image_remove", args=[product.pk, first.pk]))
    assert list(product.images.all()) == [second]


def test_a_renamed_pdf_is_refused_at_the_field_and_changes_nothing(
    client_for, merchant, media, settings
):
    product = ProductFactory(merchant=merchant.merchant)
    upload = SimpleUploadedFile("photo.jpg", PDF, content_type="image/jpeg")
    response = client_for(merchant).post(images_url(product), {"image": upload})
    assert response.status_code == 400
    assert response.context["form"].errors["image"] == ["这不是 JPG、PNG 或 WebP 图片。"]
    assert not ProductImage.objects.exists() and not stored_files(settings)


def test_the_sixth_upload_is_refused_and_the_form_is_gone(client_for, merchant, media):
    product = ProductFactory(merchant=merchant.merchant)
    for _ in range(MAX_IMAGES_PER_PRODUCT):
        with_image(product)
    c = client_for(merchant)
    assert 'id="image-upload"' not in c.get(images_url(product)).content.decode()
    upload = SimpleUploadedFile("x.png", image_bytes(), content_type="image/png")
    response = c.post(images_url(product), {"image": upload})
    assert response.status_code == 400
    assert "最多 5 张图片" in response.context["form"].errors["image"][0]


def test_empty_state(client_for, merchant):
    product = ProductFactory(merchant=merchant.merchant)
    body = client_for(merchant).get(images_url(product)).content.decode()
    assert "还没有图片" in body and 'id="image-upload"' in body


def test_images_page_query_count_is_fixed(client_for, merchant, media, django_assert_num_queries):
    product = ProductFactory(merchant=merchant.merchant)
    c = client_for(merchant)
    c.get(images_url(product))
    # session, user, merchant, product (with restriction), images
    with django_assert_num_queries(5):
        c.get(images_url(product))
    for _ in range(4):
        with_image(product)
    with django_assert_num_queries(5):
        c.get(images_url(product))


# --- the media route -------------------------------------------------------------


def test_media_is_served_with_public_caching_when_debug_is_off(
    client_for, creator, anonymous, media, settings
):
    assert settings.DEBUG is False
    image = with_image(ProductFactory())
    for client in (anonymous, client_for(creator)):
        response = client.get(image.thumb.url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        cache = response["Cache-Control"]
        assert "public" in cache and "max-age=31536000" in cache and "no-store" not in cache
        assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "path", ["../settings.py", "products/none.jpg", "products/x.svg", "x.html"]
)
def test_media_route_serves_only_stored_images(anonymous, media, path):
    assert anonymous.get(f"/media/{path}").status_code == 404


# --- where thumbnails show -------------------------------------------------------


def test_fund_pages_show_thumbnails_at_the_same_query_count(
    client_for, merchant, creator, media, django_assert_num_queries
):
    from tests.cooperation.factories import admit, paid_order

    admit(merchant, creator)
    products = ProductFactory.create_batch(3, merchant=merchant.merchant)
    for p in products:
        paid_order(p, creator=creator.creator)
    url = reverse("settlement:fund_account") + "?tab=pending"
    c = client_for(creator)
    c.get(url)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as without_images:
        body = c.get(url).content.decode()
    assert '<img class="product-thumb' not in body and "product-thumb--empty" in body
    for p in products:
        with_image(p)
    with django_assert_num_queries(len(without_images)):
        body = c.get(url).content.decode()
    assert body.count('<img class="product-thumb') == 3
    order = paid_order(products[0], creator=creator.creator)
    body = c.get(reverse("settlement:fund_order", args=[order.order_id])).content.decode()
    assert 'class="product-thumb product-thumb--s64"' in body


def test_task_detail_shows_the_products_thumbnails(client_for, merchant, creator, media):
    from tests.cooperation.task_factories import make_task

    task = make_task(merchant=merchant, creator=creator)
    item = task.items.first()
    with_image(item.product)
    body = (
        client_for(creator).get(reverse("cooperation:task_detail", args=[task.pk])).content.decode()
    )
    assert item.product.images.get().thumb.url in body
