"""Product images: accepted by content only, re-encoded without metadata, stored under the
project's prefix, served publicly with headers that keep a browser from running them."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from dreamapi.errors import ApiError
from storefront.models import Asset, Product
from storefront.services import asset_create, image_reencode

from .conftest import create_product, image_bytes

pytestmark = pytest.mark.django_db

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9"/></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def upload(tenant, product_id: str, data: bytes, name: str = "photo.png", content_type: str = "image/png", key=None):
    file = SimpleUploadedFile(name, data, content_type=content_type)
    return tenant.api(key).post(f"/api/products/{product_id}/image", {"image": file}, format="multipart")


@pytest.mark.parametrize("fmt, content_type, ext", [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"),
                                                   ("WEBP", "image/webp", "webp"), ("GIF", "image/gif", "gif")])
def test_each_allowed_format_is_stored_and_served(shop, client, fmt, content_type, ext):
    product = create_product(shop)
    response = upload(shop, product["id"], image_bytes(fmt), name="x.bin", content_type="application/octet-stream")
    assert response.status_code == 200, response.content
    image_url = response.json()["product"]["imageUrl"]
    key = image_url.split("/api/assets/", 1)[1]
    assert key.startswith(f"{shop.project.public_id}/") and key.endswith(f".{ext}")
    served = client.get(f"/api/assets/{key}", HTTP_ACCEPT="image/avif,image/webp,*/*")
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    body = b"".join(served.streaming_content)
    assert Image.open(BytesIO(body)).format == fmt and len(body) == int(served["Content-Length"])
    assert client.get(f"/api/assets/{key}", HTTP_IF_NONE_MATCH=served["ETag"]).status_code == 304
    assert client.get(f"/api/assets/{key}", HTTP_ACCEPT="image/png").status_code == 200  # any Accept


def test_metadata_and_trailing_data_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-text-chunk")
    exif = Image.Exif()
    exif[0x010E] = "secret-exif"
    png = image_bytes("PNG", pnginfo=info, exif=exif.tobytes()) + b"<script>trailing-secret</script>"
    jpeg = image_bytes("JPEG", exif=exif.tobytes(), comment=b"secret-comment")
    webp = image_bytes("WEBP", exif=exif.tobytes(), xmp=b"<x>secret-xmp</x>")
    gif = image_bytes("GIF", comment=b"secret-gif-comment")
    for data in (png, jpeg, webp, gif):
        assert b"secret" in data
        encoded = image_reencode(data)
        assert b"secret" not in encoded.data, encoded.content_type
        assert Image.open(BytesIO(encoded.data)).size == (40, 30)


def test_an_animated_gif_keeps_its_frames():
    frames = [Image.new("P", (8, 8), i) for i in range(3)]
    for index, frame in enumerate(frames):
        frame.putpalette([index * 80, 0, 0] * 256)
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    encoded = image_reencode(out.getvalue())
    assert Image.open(BytesIO(encoded.data)).n_frames == 3


def test_jpeg_orientation_is_applied_before_the_exif_is_dropped():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    encoded = image_reencode(image_bytes("JPEG", size=(40, 30), exif=exif.tobytes()))
    assert Image.open(BytesIO(encoded.data)).size == (30, 40)


@pytest.mark.parametrize("data", [
    SVG, HTML, b"\x89PNG\r\n\x1a\n" + HTML, b"GIF89a" + SVG, b"%PDF-1.4 not an image", b"", b"\x00" * 64,
    image_bytes("PNG")[:60], image_bytes("BMP"), image_bytes("TIFF"),
])
def test_anything_but_a_whole_allowed_image_is_a_400(shop, data):
    product = create_product(shop)
    response = upload(shop, product["id"], data, name="cute.png", content_type="image/png")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_image"
    assert not Asset.objects.exists()
    assert Product.objects.get(public_id=product["id"]).image is None


def test_too_many_pixels_is_refused_before_decoding():
    for size in ((8000, 8000), (10_001, 1)):
        with pytest.raises(ApiError) as exc:
            image_reencode(image_bytes("PNG", size=size))
        assert exc.value.code == "invalid_image"


def test_an_upload_over_the_limit_is_a_413(shop, settings):
    settings.STORE_ASSET_MAX_BYTES = 2000
    product = create_product(shop)
    big = image_bytes("BMP", size=(200, 200))  # > 2000 bytes; refused for its size before its format
    response = upload(shop, product["id"], big)
    assert response.status_code == 413 and response.json()["code"] == "image_too_large"
    assert not Asset.objects.exists()


def test_five_megabytes_is_the_default_limit(shop):
    import os

    noise = Image.frombytes("RGB", (1200, 1300), os.urandom(1200 * 1300 * 3))
    out = BytesIO()
    noise.save(out, "PNG")
    data = out.getvalue()
    assert 4_000_000 < len(data) <= 5 * 1024 * 1024
    asset = asset_create(project=shop.project, mode="test", upload=SimpleUploadedFile("n.png", data))
    assert asset.width == 1200
    with pytest.raises(ApiError) as exc:
        asset_create(project=shop.project, mode="test",
                     upload=SimpleUploadedFile("n.png", data + b"\0" * (5 * 1024 * 1024 + 1 - len(data))))
    assert exc.value.status_code == 413


def test_no_file_or_a_json_body_is_refused(shop):
    product = create_product(shop)
    missing = shop.api().post(f"/api/products/{product['id']}/image", {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["code"] == "image_required"
    json_body = shop.api().post(f"/api/products/{product['id']}/image", {"image": "x"}, format="json")
    assert json_body.status_code == 415


def test_a_new_image_replaces_the_old_file_and_delete_removes_it(shop, assets_storage, client,
                                                                django_capture_on_commit_callbacks):
    product = create_product(shop)
    first = upload(shop, product["id"], image_bytes("PNG")).json()["product"]["imageUrl"].split("/api/assets/")[1]
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(shop, product["id"], image_bytes("GIF")).json()["product"]["imageUrl"]
    second = second.split("/api/assets/")[1]
    assert not (assets_storage / first).exists() and (assets_storage / second).exists()
    assert client.get(f"/api/assets/{first}").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        removed = shop.api().delete(f"/api/products/{product['id']}/image")
    assert removed.status_code == 200 and removed.json()["product"]["imageUrl"] is None
    assert not (assets_storage / second).exists() and not Asset.objects.exists()


def test_the_image_reaches_the_stripe_product(shop, quiet_standin):
    from .conftest import stripe_get

    product = create_product(shop)
    url = upload(shop, product["id"], image_bytes("PNG")).json()["product"]["imageUrl"]
    assert stripe_get(quiet_standin, shop.account, f"/v1/products/{product['productId']}")["images"] == [url]


def test_an_outsider_cannot_set_or_remove_an_image(shop, bob, quiet_standin):
    from .conftest import connect_account

    connect_account(bob, quiet_standin)
    product = create_product(shop)
    assert upload(bob, product["id"], image_bytes("PNG")).status_code == 404
    assert bob.api().delete(f"/api/products/{product['id']}/image").status_code == 404
    assert upload(shop, product["id"], image_bytes("PNG"), key=shop.pk).status_code == 403
    assert not Asset.objects.filter(project=bob.project).exists()
    assert Product.objects.get(public_id=product["id"]).image is None


@pytest.mark.parametrize("path", [
    "../../dreamapi/settings.py", "prj_x/../../../etc/passwd.png", "%2e%2e/%2e%2e/etc/passwd",
    "prj_x/..%5c..%5cx.png", "/etc/passwd", "prj_x/a.svg", "prj_x/a.png/../b.png", "prj_x/sub/a.png",
])
def test_asset_paths_cannot_escape_or_name_files_we_did_not_store(client, assets_storage, path):
    assert client.get(f"/api/assets/{path}").status_code == 404


def test_only_files_with_a_record_are_served(shop, client, assets_storage):
    (assets_storage / "prj_Planted").mkdir(parents=True)
    (assets_storage / "prj_Planted" / "evil.png").write_bytes(HTML)
    response = client.get("/api/assets/prj_Planted/evil.png")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def test_a_two_megabyte_image_can_be_uploaded_over_http(shop):
    import os

    noise = Image.frombytes("RGB", (850, 850), os.urandom(850 * 850 * 3))
    out = BytesIO()
    noise.save(out, "PNG")
    assert 1024 * 1024 < len(out.getvalue()) < 5 * 1024 * 1024
    product = create_product(shop)
    response = upload(shop, product["id"], out.getvalue())
    assert response.status_code == 200, response.content


def test_an_upload_over_the_upload_limit_is_refused_before_it_is_read(shop, settings):
    settings.API_MAX_UPLOAD_BYTES = 100_000
    product = create_product(shop)
    response = upload(shop, product["id"], b"\0" * 200_000)
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    assert "100000 bytes" in response.json()["message"]


def test_a_json_body_over_the_body_limit_is_refused_even_where_uploads_may_be_larger(shop):
    response = shop.api().post("/api/products", data="[" + "1," * 600_000 + "1]", content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"


def test_stripe_failing_on_an_image_change_keeps_the_old_image_and_no_new_file(
        shop, settings, assets_storage, django_capture_on_commit_callbacks):
    from billing import stripe_api

    product = create_product(shop)
    before = upload(shop, product["id"], image_bytes("PNG")).json()["product"]["imageUrl"]
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    stripe_api.reset_clients()
    with django_capture_on_commit_callbacks(execute=True):
        failed = upload(shop, product["id"], image_bytes("GIF"))
    assert failed.status_code == 503
    assert Asset.objects.count() == 1
    assert [p.suffix for p in assets_storage.rglob("*.*")] == [".png"]
    assert shop.api().get(f"/api/products/{product['id']}").json()["product"]["imageUrl"] == before
