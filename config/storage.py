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
