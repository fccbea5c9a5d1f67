"""商品图片: a merchant's images of one product — upload, reorder, remove."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cooperation.forms.images import ProductImageForm
from cooperation.models import MAX_IMAGES_PER_PRODUCT
from cooperation.selectors import products as selectors
from cooperation.services import images as services
from hotwave.confirm import Confirmation, naming, render_confirmation
from hotwave.exceptions import DomainError


def product_images(request, pk: int):
    product = selectors.product_for_merchant(actor=request.user, pk=pk)
    form = ProductImageForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.product_image_add(product=product, data=form.data_bytes())
            except DomainError as exc:
                form.add_error("image", exc.message)
            else:
                messages.success(request, _("图片已上传。"))
                return redirect("cooperation:product_images", pk=product.pk)
        status = 400
    images = selectors.product_images(product=product)
    context = {
        "product": product,
        "images": images,
        "form": form,
        "max_images": MAX_IMAGES_PER_PRODUCT,
        "room_left": MAX_IMAGES_PER_PRODUCT - len(images),
    }
    return render(request, "cooperation/product_images.html", context, status=status)


@require_POST
def product_image_move(request, pk: int, image_pk: int):
    image = selectors.product_image_for_merchant(actor=request.user, product_pk=pk, pk=image_pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.product_image_move(image=image, offset=offset)
    messages.success(request, _("图片顺序已更新。"))
    return redirect(reverse("cooperation:product_images", args=[pk]) + f"#image-{image.pk}")


@require_http_methods(["GET", "POST"])
def product_image_remove(request, pk: int, image_pk: int):
    image = selectors.product_image_for_merchant(actor=request.user, product_pk=pk, pk=image_pk)
    back = reverse("cooperation:product_images", args=[pk])
    if request.method == "GET":  # asked once first (hotwave/confirm.py)
        return render_confirmation(
            request,
            Confirmation(
                title=naming(
                    _("删除「%(title)s」的第 %(n)s 张图片？"),
                    title=image.product.title,
                    n=str(image.position + 1),
                ),
                body=_("删除后无法恢复；如果它是封面，下一张图片会成为封面。"),
                action=reverse("cooperation:product_image_remove", args=[pk, image.pk]),
                button=_("删除图片"),
                back=back,
                style="btn--danger",
            ),
        )
    services.product_image_remove(image=image)
    messages.success(request, _("图片已删除。"))
    return redirect(back)
