"""The product image upload: the file's content decides (cooperation.images), not its name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cooperation.images import MAX_UPLOAD_BYTES
from hotwave.forms import Form


class ProductImageForm(Form):
    image = forms.FileField(
        label=_("上传图片"),
        help_text=_("JPG、PNG 或 WebP，不超过 5MB；上传后会重新压缩并去掉拍摄信息（EXIF）。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"required": _("请选择一张图片。"), "empty": _("文件是空的。")},
    )

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("图片不能超过 5MB。"))
        return upload

    def data_bytes(self) -> bytes:
        upload = self.cleaned_data["image"]
        upload.seek(0)
        return upload.read(MAX_UPLOAD_BYTES + 1)
