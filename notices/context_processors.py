def unread_notices(request):
    """The bell's count of unread notices (one query)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from .models import Notice

    return {"notice_unread_count": Notice.objects.filter(user=user, read_at__isnull=True).count()}
