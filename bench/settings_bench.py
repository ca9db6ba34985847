"""Production settings for bench/bench_scale.py, with two paths moved out of the work tree
and viewflow's stock pages mounted (bench/urls_bench.py).

Everything else is config.settings.production as deployed (DEBUG off, WhiteNoise
with hashed static files, secure cookies, axes). STATIC_ROOT (collectstatic
writes there) and MEDIA_ROOT point into the benchmark's temporary directory, so
a run leaves nothing behind in the repository.
"""
import os

from config.settings.production import *  # noqa: F401,F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", os.path.join(os.path.dirname(STATIC_ROOT), "media"))
# viewflow's stock pages of the review flow beside the app's, measured against ours.
ROOT_URLCONF = "bench.urls_bench"
# Request logging would only add noise to the benchmark's output.
LOGGING["root"]["level"] = os.environ.get("DJANGO_LOG_LEVEL", "WARNING")  # noqa: F405
