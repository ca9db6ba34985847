"""Static files for production: hashed names (cache forever), served by WhiteNoise.

viewflow 2.4.0 ships a stylesheet (roboto-fontface.css) whose url()s point at
font files the wheel does not include; Django's manifest storage refuses to
finish collectstatic over that. A reference to a missing file is left as
written instead; everything else is hashed. Files are not pre-compressed:
compressing viewflow's 100 MB of assets made every deployment ~150 s slower,
and the TLS proxy in front (nginx) compresses responses anyway.
"""
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class HashedStaticFilesStorage(ManifestStaticFilesStorage):
    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is not None:  # the file itself is missing: a real error
                raise
            return name  # a url() inside a CSS file that points nowhere


# --- files of the application (attachments, certificates, stored PDFs, job results) ---------------

# Environment variables that select an S3-compatible object store for STORAGES["default"]
# (documented in README, "Storage"). Without STORAGE_S3_BUCKET files stay on the local disk
# (MEDIA_ROOT), which is right for one server and for the demo.
S3_ENVIRONMENT = {
    "STORAGE_S3_BUCKET": "bucket_name",
    "STORAGE_S3_ENDPOINT_URL": "endpoint_url",
    "STORAGE_S3_ACCESS_KEY_ID": "access_key",
    "STORAGE_S3_SECRET_ACCESS_KEY": "secret_key",
    "STORAGE_S3_REGION": "region_name",
    "STORAGE_S3_ADDRESSING_STYLE": "addressing_style",
    "STORAGE_S3_PREFIX": "location",
}
# Signed download links live this long (seconds): long enough to start a download, too short to share.
SIGNED_URL_SECONDS = 300


def default_storage_from_env(environ) -> dict:
    """STORAGES["default"]: the local filesystem, or django-storages' S3 backend when
    STORAGE_S3_BUCKET is set. Every file here is private: no public ACL, no public URL;
    downloads go through the app's views (core.files.private_file_response), which check
    permissions and then stream the file or redirect to a signed URL valid SIGNED_URL_SECONDS."""
    if not environ.get("STORAGE_S3_BUCKET"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {option: environ[name] for name, option in S3_ENVIRONMENT.items() if environ.get(name)}
    options.setdefault("region_name", "us-east-1")
    # Path-style (https://host/bucket/key) suits on-premises stores reached by IP or one host name.
    options.setdefault("addressing_style", "path")
    options.update({
        "default_acl": None,           # the bucket's own policy: private
        "querystring_auth": True,      # every URL is signed ...
        "querystring_expire": int(environ.get("STORAGE_S3_URL_SECONDS", SIGNED_URL_SECONDS)),  # ... briefly
        "signature_version": "s3v4",
        "file_overwrite": False,       # as on the filesystem: a second upload of a name gets a new name
        "verify": environ.get("STORAGE_S3_VERIFY_TLS", "1") != "0",
    })
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
