"""The export's README names the file as it is downloaded, and the shipped verifiers given the
folder a zip was unpacked to either check it or say to pass the .zip, never a bare OS error."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest

from tenants.isolation import country_context
from tenants.keys.export import country_export_build, export_open
from tenants.keys.models import CountryExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def test_the_readme_names_the_downloaded_file_and_the_verifier_refuses_a_folder_clearly(cast, media, tmp_path):
    with country_context(cast.fr):
        export = CountryExport.objects.create(country=cast.fr)
    done = country_export_build(export_id=export.pk, country_id=cast.fr.pk)
    assert done.file_name == f"fr-export-{export.pk}.zip"
    with export_open(done) as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert f"python3 verify_export.py {done.file_name}\n" in archive.read("README.txt").decode()
    unpacked = tmp_path / "unpacked"
    archive.extractall(unpacked)
    result = subprocess.run(
        [sys.executable, str(unpacked / "verify_export.py"), str(unpacked)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "is a folder: pass the .zip file" in result.stderr and "Errno" not in result.stderr
