"""Card photos: only clean, small JPEGs come out, whatever goes in; only those who may see them do."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.cards.models import CardPhoto
from resident_card.cards.photos import MAX_PHOTO_BYTES, MAX_SIDE, prepare_photo
from tests.factories import auth_headers
from tests.resident_card.credentials_support import (
    resident_user,
    signing_key,
    staff_headers,
    ward_of,
)

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def _key(session: Session, settings: Settings, clock: SetClock) -> None:
    signing_key(session, settings, clock.now())


def _image(
    format: str, size: tuple[int, int] = (1200, 900), mode: str = "RGB", **save: object
) -> bytes:
    image = Image.new(mode, size, "red" if mode == "RGB" else None)
    image.paste((0, 0, 255) if mode == "RGB" else 0, (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, format=format, **save)
    return buffer.getvalue()


def _jpeg_with_exif(size: tuple[int, int] = (1200, 900), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (32.0, 49.0, 0.0), 3: "E", 4: (34.0, 59.0, 0.0)}
    return _image("JPEG", size, exif=exif.tobytes(), comment=b"secret comment")


def _photo_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(CardPhoto)) or 0)


def test_a_jpeg_comes_out_resized_and_without_metadata(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    upload = _jpeg_with_exif()
    assert b"PhoneMaker" in upload

    response = client.put(
        "/api/v1/cards/me/photo",
        files={"photo": ("me.jpg", upload, "image/jpeg")},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    url = response.json()["photo_url"]
    assert url.startswith(f"/api/v1/cards/{response.json()['reference']}/photo?v=")
    served = client.get(url, headers=headers)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "private" in served.headers["cache-control"]
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "JPEG"
    assert max(image.size) == MAX_SIDE
    assert image.size == (MAX_SIDE, 480)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert "comment" not in image.info
    assert "icc_profile" not in image.info
    for trace in (b"PhoneMaker", b"secret comment", b"Exif"):
        assert trace not in served.content


def test_the_orientation_is_applied_before_the_exif_goes() -> None:
    # A 1200x900 photo the phone says to turn a quarter (orientation 6) stands 900 wide, 1200 high.
    prepared = prepare_photo(_jpeg_with_exif(orientation=6))
    assert (prepared.width, prepared.height) == (480, MAX_SIDE)


@pytest.mark.parametrize(
    ("data", "mode"),
    [
        (_image("PNG", (300, 400), mode="RGBA"), "RGBA"),
        (_image("WEBP", (300, 400)), "RGB"),
        (_image("PNG", (300, 400), mode="L"), "L"),
        (_image("JPEG", (300, 400), mode="CMYK"), "CMYK"),
        (_image("PNG", (300, 400), mode="P"), "P"),
        (_image("PNG", (300, 400), mode="I;16"), "I;16"),
    ],
    ids=["png-alpha", "webp", "png-grey", "jpeg-cmyk", "png-palette", "png-16-bit"],
)
def test_png_and_webp_are_accepted_and_re_encoded(data: bytes, mode: str) -> None:
    prepared = prepare_photo(data)
    image = Image.open(io.BytesIO(prepared.content))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (300, 400)  # small photos are not enlarged
    assert prepared.media_type == "image/jpeg"


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_image("GIF", (50, 50)), "invalid_photo"),
        (_image("BMP", (50, 50)), "invalid_photo"),
        (_image("TIFF", (50, 50)), "invalid_photo"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "invalid_photo"),
        (b"%PDF-1.4 not a photo", "invalid_photo"),
        (b"", "invalid_photo"),
        (_image("JPEG", (400, 400))[:300], "invalid_photo"),
        (_png_claiming(20_000, 20_000), "photo_too_large"),
        (b"\xff\xd8\xff" + b"\x00" * (MAX_PHOTO_BYTES + 1), "photo_too_large"),
    ],
    ids=[
        "gif",
        "bmp",
        "tiff",
        "svg",
        "pdf",
        "empty",
        "truncated-jpeg",
        "decompression-bomb",
        "over-5-mb",
    ],
)
def test_anything_else_is_a_422_and_nothing_is_kept(
    session: Session,
    settings: Settings,
    app: FastAPI,
    client: TestClient,
    data: bytes,
    code: str,
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    response = client.put(
        "/api/v1/cards/me/photo",
        files={"photo": ("photo.jpg", data, "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    assert _photo_count(session) == 0
    assert client.get("/api/v1/cards/me", headers=headers).json()["photo_url"] is None


def test_an_upload_without_a_file_is_a_422(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    response = client.put("/api/v1/cards/me/photo", headers=auth_headers(app, user))
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_a_new_photo_replaces_the_old_and_outlives_a_replaced_card(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    first = client.put(
        "/api/v1/cards/me/photo", files={"photo": ("a.png", _image("PNG"))}, headers=headers
    ).json()["photo_url"]
    second = client.put(
        "/api/v1/cards/me/photo",
        files={"photo": ("b.webp", _image("WEBP", (500, 500)))},
        headers=headers,
    ).json()["photo_url"]
    assert first != second
    assert _photo_count(session) == 1

    replaced = client.post("/api/v1/cards/me/revoke", json={"reason": "lost"}, headers=headers)
    assert replaced.json()["photo_url"].split("?")[1] == second.split("?")[1]

    assert client.delete("/api/v1/cards/me/photo", headers=headers).status_code == 204
    assert client.get("/api/v1/cards/me", headers=headers).json()["photo_url"] is None
    gone = client.delete("/api/v1/cards/me/photo", headers=headers)
    assert gone.status_code == 404
    assert gone.json()["error"] == "photo_not_found"


def test_who_may_see_a_photo(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    guardian, guardian_user = resident_user(session, settings)
    ward_of(session, settings, guardian)
    guardian_headers = auth_headers(app, guardian_user)
    ward_reference = client.get("/api/v1/cards/me/wards", headers=guardian_headers).json()[0][
        "reference"
    ]
    uploaded = client.put(
        f"/api/v1/cards/{ward_reference}/photo",
        files={"photo": ("w.jpg", _image("JPEG", (400, 500)))},
        headers=guardian_headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["is_ward"] is True
    url = uploaded.json()["photo_url"]

    assert client.get(url, headers=guardian_headers).status_code == 200
    for role in (Role.inspector, Role.merchant, Role.admin):
        response = client.get(url, headers=staff_headers(session, settings, app, role))
        assert response.status_code == 200, role
    assert client.get(
        url, headers=staff_headers(session, settings, app, Role.auditor)
    ).status_code == (403)
    _, stranger = resident_user(session, settings)
    not_found = client.get(url, headers=auth_headers(app, stranger))
    assert not_found.status_code == 404
    assert not_found.json()["error"] == "card_not_found"
    assert client.get(url).status_code == 401


def test_verifiers_get_the_photo_url_with_a_valid_card(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    _, user = resident_user(session, settings)
    headers = auth_headers(app, user)
    url = client.put(
        "/api/v1/cards/me/photo", files={"photo": ("a.jpg", _image("JPEG"))}, headers=headers
    ).json()["photo_url"]
    token = client.post("/api/v1/cards/me/token", headers=headers).json()["token"]
    inspector = staff_headers(session, settings, app, Role.inspector)
    answer = client.post("/api/v1/cards/verify", json={"token": token}, headers=inspector).json()
    assert answer["photo_url"] == url
    assert client.get(url, headers=inspector).status_code == 200

    # Once the card is revoked, verifiers no longer get its photo.
    client.post("/api/v1/cards/me/revoke", json={"reason": "lost"}, headers=headers)
    assert client.get(url, headers=inspector).status_code == 404
