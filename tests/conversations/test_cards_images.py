"""Product and task cards, and pictures, in messages: rendered from our data for each viewer;
what a viewer may not see is 不可查看 and leaks nothing; pictures checked like product images."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from conversations import services
from conversations.models import Message
from cooperation.models import CartItem, ProductStatus, TaskState
from tests.cooperation.factories import ProductFactory, with_image
from tests.cooperation.task_factories import make_task

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.CONVERSATIONS_SEND_RATE = ""
    return tmp_path


@pytest.fixture
def pair(merchant, creator):
    task = make_task(merchant=merchant, creator=creator, state=TaskState.ACCEPTED)
    return task, services.thread_for_task(task=task)


def _page(client_for, user, thread) -> str:
    return client_for(user).get(reverse("conversations:thread", args=[thread.pk])).content.decode()


def test_a_merchant_sends_its_product_and_the_card_is_read_from_our_data(
    pair, merchant, creator, client_for
):
    task, thread = pair
    product = ProductFactory(
        merchant=merchant.merchant,
        title="山茶花面霜",
        price=Decimal("129.00"),
        service_fee_rate=Decimal("0.20"),
    )
    with_image(product)
    message = services.message_send(thread=thread, actor=merchant, body="", product_id=product.pk)
    assert message.body == "" and message.card_product_id == product.pk
    html = _page(client_for, creator, thread)
    assert "山茶花面霜" in html and "¥129.00" in html and "你的佣金率 20%" in html
    assert 'class="product-thumb' in html and "-thumb.jpg" in html
    # Shown at display time: a new title and price appear on the old message.
    product.title, product.price = "山茶花面霜（新包装）", Decimal("119.00")
    product.save()
    html = _page(client_for, creator, thread)
    assert "山茶花面霜（新包装）" in html and "¥119.00" in html
    assert "服务费率 20%" in _page(client_for, merchant, thread)


def test_a_card_the_viewer_may_not_see_shows_nothing_of_it(
    pair, merchant, creator, client_for, other_merchant
):
    task, thread = pair
    product = ProductFactory(merchant=merchant.merchant, title="限量礼盒")
    CartItem.objects.create(creator=creator.creator, product=product)
    services.message_send(thread=thread, actor=creator, body="这个可以吗", product_id=product.pk)
    product.status = ProductStatus.ARCHIVED  # no longer in 选品广场
    product.save()
    creator_view = _page(client_for, creator, thread)
    assert "这个商品不可查看" in creator_view and "限量礼盒" not in creator_view
    assert "限量礼盒" in _page(client_for, merchant, thread)  # its merchant still sees it


def test_senders_may_attach_only_what_they_may_share(pair, merchant, creator, other_merchant):
    task, thread = pair
    others = ProductFactory(merchant=other_merchant.merchant)
    with pytest.raises(services.MessageRefused) as exc:
        services.message_send(thread=thread, actor=merchant, body="", product_id=others.pk)
    assert exc.value.code == "message.bad_product"
    foreign = make_task(merchant=other_merchant, creator=creator)
    with pytest.raises(services.MessageRefused) as exc:
        services.message_send(thread=thread, actor=creator, body="", task_id=foreign.pk)
    assert exc.value.code == "message.bad_task"
    with pytest.raises(services.MessageRefused):
        services.message_send(thread=thread, actor=creator, body="", product_id="x")
    assert not Message.objects.exists()
    # A creator may share any product 选品广场 shows it, in its cart or not.
    services.message_send(thread=thread, actor=creator, body="", product_id=others.pk)


def test_a_task_card_shows_the_tasks_state_now_and_links_to_it(pair, merchant, creator, client_for):
    task, thread = pair
    services.message_send(thread=thread, actor=merchant, body="看这个任务", task_id=task.pk)
    html = _page(client_for, creator, thread)
    assert task.reference in html and "待寄样" in html
    assert reverse("cooperation:task_detail", args=[task.pk]) in html


def test_the_compose_box_offers_the_senders_products_and_the_pairs_tasks(
    pair, merchant, creator, client_for
):
    task, thread = pair
    mine = ProductFactory(merchant=merchant.merchant, title="我的商品A")
    response = client_for(merchant).get(reverse("conversations:thread", args=[thread.pk]))
    choices = response.context["product_choices"]
    assert mine.pk in [c.pk for c in choices]
    assert [c.pk for c in response.context["task_choices"]] == [task.pk]
    # A form post with a card and no text: sent.
    post = client_for(merchant).post(
        reverse("conversations:send", args=[thread.pk]), {"body": "", "product": str(mine.pk)}
    )
    assert post.status_code == 302
    assert Message.objects.get().card_product_id == mine.pk


def test_a_picture_is_re_encoded_without_exif_and_only_readers_fetch_it(
    pair, merchant, creator, client_for, other_creator
):
    task, thread = pair
    photo = Image.new("RGB", (200, 100), "#3366cc")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {2: (31.0, 14.0, 0.0)}
    raw = io.BytesIO()
    photo.save(raw, "JPEG", exif=exif)
    upload = SimpleUploadedFile("p.jpg", raw.getvalue(), content_type="image/jpeg")
    response = client_for(creator).post(
        reverse("conversations:send", args=[thread.pk]), {"body": "样品收到了", "image": upload}
    )
    assert response.status_code == 302
    message = Message.objects.get()
    url = reverse("conversations:image", args=[thread.pk, message.pk])
    got = client_for(merchant).get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(got.streaming_content))) as stored:
        assert stored.format == "JPEG" and not stored.getexif()
    assert client_for(merchant).get(url + "?size=thumb").status_code == 200
    assert client_for(other_creator).get(url).status_code == 404
    assert url in _page(client_for, merchant, thread)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-1.4 not a picture", "这不是 JPG、PNG 或 WebP 图片"),
        (b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10), "图片不能超过 5MB"),
    ],
)
def test_a_file_that_is_not_an_allowed_picture_is_refused_and_nothing_stored(
    pair, creator, client_for, media, data, words
):
    task, thread = pair
    upload = SimpleUploadedFile("x.png", data, content_type="image/png")
    response = client_for(creator).post(
        reverse("conversations:send", args=[thread.pk]), {"body": "看图", "image": upload}, **HX
    )
    assert response.status_code == 422 and words in response.content.decode()
    assert not Message.objects.exists()
    assert not (media / "messages").exists()


def test_cards_keep_the_thread_page_query_count_fixed(
    pair, merchant, creator, client_for, django_assert_num_queries
):
    task, thread = pair
    c = client_for(creator)
    services.message_send(thread=thread, actor=merchant, body="你好")
    c.get(reverse("conversations:thread", args=[thread.pk]))
    for _ in range(3):
        product = ProductFactory(merchant=merchant.merchant)
        services.message_send(thread=thread, actor=merchant, body="", product_id=product.pk)
        services.message_send(thread=thread, actor=merchant, body="", task_id=task.pk)
    c.get(reverse("conversations:thread", args=[thread.pk]))
    services.message_send(thread=thread, actor=merchant, body="再来一个", task_id=task.pk)
    with django_assert_num_queries(16) as few:  # + the two card kinds, the compose choices
        c.get(reverse("conversations:thread", args=[thread.pk]))
    for _ in range(10):
        product = ProductFactory(merchant=merchant.merchant)
        services.message_send(thread=thread, actor=merchant, body="", product_id=product.pk)
    with django_assert_num_queries(len(few.captured_queries)):
        c.get(reverse("conversations:thread", args=[thread.pk]))
