"""An S3 endpoint on 127.0.0.1 for the suite: moto's server on a free port, started once a run, with a
bucket of this run's own. `s3_settings` points STORAGES["default"] at it (as STORAGE_BACKEND=s3 does);
`s3_env` gives the same to another process."""

from __future__ import annotations

import os
import secrets

import pytest

ACCESS_KEY, SECRET_KEY, REGION = "portal-test", "portal-test-secret", "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint():
    """(endpoint URL, bucket): moto's threaded server on a port the system chose."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"portal-test-{os.getpid()}-{secrets.token_hex(3)}"
    client(endpoint).create_bucket(Bucket=bucket)
    yield endpoint, bucket
    server.stop()


def client(endpoint: str):
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )


def storage_options(endpoint: str, bucket: str, prefix: str) -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "addressing_style": "path",
            "location": prefix,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
        },
    }


def s3_env(endpoint: str, bucket: str, prefix: str) -> dict[str, str]:
    """The environment that makes another portal process store its files there."""
    return {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_PREFIX": prefix,
    }


@pytest.fixture
def s3_settings(settings, s3_endpoint):
    """This test's files go to the S3 endpoint, under a prefix of the test's own; the prefix."""
    endpoint, bucket = s3_endpoint
    prefix = f"t-{secrets.token_hex(4)}"
    settings.STORAGES = {**settings.STORAGES, "default": storage_options(endpoint, bucket, prefix)}
    return prefix
