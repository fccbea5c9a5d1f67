"""Demo product images (``seed_demo``): drawn with Pillow from each product's category and
title, no downloads, then stored through the same upload service as a merchant's file.

A CJK font from /usr/share/fonts (Noto CJK) writes the title; without one, the picture
keeps its colours and motif and leaves the text out rather than drawing boxes.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from cooperation.models import Product, ProductStatus
from cooperation.services.images import product_image_add

SIZE = 800
# Per category: background top and bottom colours, and the motif's colour.
PALETTES = {
    "home": ("#f6efe6", "#e8d5bf", "#b07a4f"),
    "food": ("#fff3e0", "#ffd8a8", "#d9480f"),
    "beauty": ("#fff0f6", "#fcc2d7", "#c2255c"),
    "sports": ("#e7f5ff", "#a5d8ff", "#1864ab"),
    "digital": ("#edf2ff", "#bac8ff", "#364fc7"),
}
DEFAULT_PALETTE = ("#f1f3f5", "#dee2e6", "#495057")
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts")
FONT_NAMES = ("NotoSansCJK-Bold.ttc", "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Bold.otf")


def _font_path() -> str | None:
    for folder in FONT_DIRS:
        for name in FONT_NAMES:
            found = next(Path(folder).rglob(name), None) if Path(folder).is_dir() else None
            if found:
                return str(found)
    return None


def _font(size: int):
    path = _font_path()
    if path is None:
        return None
    try:
        # Index 2 of a Noto CJK collection is Simplified Chinese (SC).
        return ImageFont.truetype(path, size, index=2 if path.endswith(".ttc") else 0)
    except OSError:
        return None


def _hex(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def _wrap(title: str, per_line: int) -> list[str]:
    return [title[i : i + per_line] for i in range(0, len(title), per_line)][:3]


def draw(title: str, category: str, *, variant: int = 0) -> bytes:
    """An 800×800 PNG: a gradient in the category's colours, a motif, and the title."""
    top, bottom, ink = PALETTES.get(category, DEFAULT_PALETTE)
    top_rgb, bottom_rgb, ink_rgb = _hex(top), _hex(bottom), _hex(ink)
    image = Image.new("RGB", (SIZE, SIZE), top_rgb)
    pen = ImageDraw.Draw(image)
    for y in range(SIZE):
        t = y / SIZE
        pen.line(
            [(0, y), (SIZE, y)],
            fill=tuple(round(a + (b - a) * t) for a, b in zip(top_rgb, bottom_rgb, strict=True)),
        )
    # A motif placed from the title's hash: each product looks like itself, every time.
    seed = int(hashlib.sha256(f"{title}/{variant}".encode()).hexdigest()[:8], 16)
    cx, cy = 400 + (seed % 160) - 80, 300 + (seed // 160 % 80) - 40
    radius = 150 + seed % 60
    light = tuple(min(255, c + 90) for c in ink_rgb)
    pen.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=light)
    if variant % 2:
        pen.rounded_rectangle([cx - 110, cy - 70, cx + 110, cy + 120], radius=28, fill=ink_rgb)
    else:
        pen.rounded_rectangle([cx - 90, cy - 110, cx + 90, cy + 110], radius=40, fill=ink_rgb)
        pen.rectangle([cx - 50, cy - 140, cx + 50, cy - 100], fill=ink_rgb)
    title_font, small_font = _font(64), _font(34)
    if title_font is not None:
        y = 560
        for line in _wrap(title, 10):
            width = pen.textlength(line, font=title_font)
            pen.text(((SIZE - width) / 2, y), line, font=title_font, fill=(33, 37, 41))
            y += 80
    if small_font is not None:
        pen.text((40, 36), "HOTWAVE", font=small_font, fill=ink_rgb)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_images(products: dict[tuple[str, str], Product]) -> int:
    """Images for the demo's products that have none: two for each shop's first product,
    one for the others; the archived ones keep the placeholder. Returns how many were made."""
    made = 0
    seen_shops: set[str] = set()
    for (username, _sku), product in products.items():
        first_of_shop = username not in seen_shops
        seen_shops.add(username)
        if product.status != ProductStatus.ACTIVE or product.images.exists():
            continue
        for variant in range(2 if first_of_shop else 1):
            product_image_add(
                product=product, data=draw(product.title, product.category.code, variant=variant)
            )
            made += 1
    return made
