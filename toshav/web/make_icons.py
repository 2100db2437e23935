"""Draw the installable wallet's icons (static/icons/*.png) from the same shapes as static/icon.svg.

Run once after changing the design: ``.venv/bin/python -m toshav.web.make_icons``; the PNGs are
committed, so the service never draws them at run time.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (10, 79, 138, 255)
WHITE = (255, 255, 255, 255)
FOLDER = Path(__file__).resolve().parent / "static" / "icons"
# icon.svg's drawing is 32 units wide.
UNITS = 32


def draw(size: int, *, maskable: bool) -> Image.Image:
    """The card on a blue square. A maskable icon fills its square (the phone cuts its own shape)
    and keeps the drawing inside the middle 80 %, the part every mask leaves."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, size, size), fill=BLUE)
        scale, offset = size * 0.62 / UNITS, size * 0.19
    else:
        pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 6 / UNITS, fill=BLUE)
        scale, offset = size / UNITS, 0.0

    def box(x: float, y: float, width: float, height: float) -> tuple[float, float, float, float]:
        return (
            offset + x * scale,
            offset + y * scale,
            offset + (x + width) * scale,
            offset + (y + height) * scale,
        )

    pen.rounded_rectangle(box(5, 8, 22, 16), radius=3 * scale, fill=WHITE)
    pen.ellipse(box(8, 12, 6, 6), fill=BLUE)
    pen.rounded_rectangle(box(16, 13, 8, 2), radius=scale, fill=BLUE)
    pen.rounded_rectangle(box(16, 17, 6, 2), radius=scale, fill=BLUE)
    return image


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).save(FOLDER / f"icon-{size}.png", optimize=True)
    draw(512, maskable=True).save(FOLDER / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
