"""Where images are kept: the local disk by default, an S3-compatible bucket when configured."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = ("from django.core.files.storage import storages; s = storages['assets']; "
        "print(type(s).__module__, type(s).__name__, getattr(s, 'bucket_name', None), getattr(s, 'endpoint_url', None), "
        "getattr(s, 'location', None), getattr(s, 'file_overwrite', None))")


def shell(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ASSETS_", "MEDIA_"))}
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", SHOW], cwd=ROOT, env={**clean, **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_images_go_to_media_root_by_default(tmp_path):
    out = shell(MEDIA_ROOT=str(tmp_path))
    assert out == f"django.core.files.storage.filesystem FileSystemStorage None None {tmp_path}/assets None"


def test_an_s3_compatible_bucket_is_used_when_named():
    out = shell(ASSETS_S3_BUCKET="shop-images", ASSETS_S3_ENDPOINT_URL="https://minio.internal:9000",
                ASSETS_S3_ACCESS_KEY_ID="AKIAEXAMPLE", ASSETS_S3_SECRET_ACCESS_KEY="secret")
    assert out == "storages.backends.s3 S3Storage shop-images https://minio.internal:9000 assets False"
