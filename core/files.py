"""Private files out: the one way a view hands over a stored file after its permission check.

Attachments, certificates and stored PDFs are never public. On the local filesystem the
file is streamed by the app; on an object store (django-storages' S3 backend, see
config/storage.py) the view answers with a redirect to a signed URL that expires within
minutes (the storage's ``querystring_expire``), so the bytes do not pass through the app
and nobody can reuse the link later. The caller has already checked the permission.
"""
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.http import content_disposition_header


def is_local(storage) -> bool:
    try:
        storage.path("x")
    except NotImplementedError:
        return False
    return True


def private_file_response(field_file, *, filename: str, as_attachment: bool = True,
                          content_type: str | None = None):
    """The file of a FileField: streamed (filesystem) or a signed redirect (object store).
    404 when the record has no file or the file is gone."""
    if not field_file or not field_file.name:
        raise Http404
    storage = field_file.storage
    if is_local(storage):
        try:
            handle = field_file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404
        return FileResponse(handle, as_attachment=as_attachment, filename=filename, content_type=content_type)
    if not storage.exists(field_file.name):
        raise Http404
    parameters = {"ResponseContentDisposition": content_disposition_header(as_attachment, filename)}
    if content_type:
        parameters["ResponseContentType"] = content_type
    response = HttpResponseRedirect(storage.url(field_file.name, parameters=parameters))
    response["Cache-Control"] = "private, no-store"  # the link is for this user, now
    return response
