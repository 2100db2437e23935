"""QR images of credentials, cheap for the server: a fixed mask, and modules drawn as whole rows.

qrcode would try all eight masks and score each; any mask is valid, and a decoder reads which
one from the symbol, so we fix one. The PNG is drawn one pixel per module and scaled up with
nearest-neighbour, instead of one rectangle per module.
Error correction M (15 %): a token of ~300 characters fits version 13, 69 modules a side.
"""

from __future__ import annotations

import io
from bisect import bisect_left

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError
from qrcode.util import BIT_LIMIT_TABLE, MODE_8BIT_BYTE, mode_sizes_for_version

FIXED_MASK = 0
BORDER = 4  # the quiet zone the QR standard asks for, in modules
BOX_SIZE = 10  # pixels per module in the PNG, as qrcode's default
_DARK, _LIGHT = 0, 255


def byte_mode_version(size: int) -> int:
    """The smallest QR version holding ``size`` bytes in one byte-mode segment at level M.

    qrcode's own fitting writes the data bit by bit up to three times to find this out.
    """
    version = 1
    while True:
        count_bits: int = mode_sizes_for_version(version)[MODE_8BIT_BYTE]  # type: ignore[index]
        needed = 4 + count_bits + 8 * size
        fitted = bisect_left(BIT_LIMIT_TABLE[ERROR_CORRECT_M], needed, version)
        if fitted > 40:
            raise DataOverflowError(f"{size} bytes do not fit a QR code")
        if mode_sizes_for_version(fitted) is mode_sizes_for_version(version):
            return fitted
        version = fitted


def qr_modules(data: str) -> list[list[bool]]:
    """The QR symbol's modules (True is dark), without the quiet zone."""
    code = qrcode.QRCode(
        version=byte_mode_version(len(data.encode())),
        error_correction=ERROR_CORRECT_M,
        border=0,
        mask_pattern=FIXED_MASK,
    )
    code.add_data(data, optimize=0)  # one byte-mode segment: no search for numeric runs
    code.make(fit=False)
    return [[bool(module) for module in row] for row in code.modules]


def qr_png(data: str, *, box_size: int = BOX_SIZE, border: int = BORDER) -> bytes:
    """A black-on-white PNG (1 bit per pixel) of the QR code of ``data``."""
    modules = qr_modules(data)
    side = len(modules) + 2 * border
    light_row = bytes([_LIGHT]) * side
    rows = [light_row] * border
    edge = bytes([_LIGHT]) * border
    for row in modules:
        rows.append(edge + bytes(_DARK if dark else _LIGHT for dark in row) + edge)
    rows.extend([light_row] * border)
    image = Image.frombytes("L", (side, side), b"".join(rows))
    image = image.resize((side * box_size, side * box_size), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.convert("1", dither=Image.Dither.NONE).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data: str, *, border: int = BORDER) -> str:
    """An SVG of the QR code of ``data``: one path of the dark runs, scalable to any size."""
    modules = qr_modules(data)
    side = len(modules) + 2 * border
    path: list[str] = []
    for y, row in enumerate(modules):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            path.append(f"M{start + border},{y + border}h{x - start}v1h{start - x}z")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path d="{"".join(path)}" fill="#000"/></svg>'
    )
