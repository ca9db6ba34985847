"""Production settings for bench/bench_scale.py, with two paths moved out of the work tree.

Everything else is config.settings.production as deployed (DEBUG off, WhiteNoise
with hashed, compressed static files, secure cookies, axes). STATIC_ROOT
(collectstatic writes there) and MEDIA_ROOT point into the benchmark's
temporary directory, so a run leaves nothing behind in the repository.

One deviation, for the benchmark only: with the production storage,
`collectstatic` stops with whitenoise's MissingFileError because viewflow
2.4.0's `viewflow/fonts/roboto/node_modules/roboto-fontface/css/roboto/roboto-fontface.css`
references font files the wheel does not ship (Roboto-Thin.woff2, ...). The
storage below leaves such a reference unhashed instead of failing; every other
file is hashed as in production. Compressing (gzip + brotli) viewflow's 100 MB of
static files takes collectstatic about 150 s on a 2-core machine and changes
nothing for the pages measured (they are views, not static files), so it is
skipped unless BENCH_COMPRESS_STATIC=1 (bench_scale.py --compress-static).
"""
import os

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

from config.settings.production import *  # noqa: F401,F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", os.path.join(os.path.dirname(STATIC_ROOT), "media"))
# Request logging would only add noise to the benchmark's output.
LOGGING["root"]["level"] = os.environ.get("DJANGO_LOG_LEVEL", "WARNING")  # noqa: F405


class _TolerantMixin:
    """A CSS url() to a file that does not exist stays as written instead of failing."""

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is not None:
                raise
            return name


class TolerantCompressedManifestStorage(_TolerantMixin, CompressedManifestStaticFilesStorage):
    """Production's storage (hashed and compressed), tolerant of the broken reference."""


class TolerantManifestStorage(_TolerantMixin, ManifestStaticFilesStorage):
    """Hashed like production, not compressed."""


_storage = ("TolerantCompressedManifestStorage" if os.environ.get("BENCH_COMPRESS_STATIC") == "1"
            else "TolerantManifestStorage")
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": f"bench.settings_bench.{_storage}"}}  # noqa: F405
