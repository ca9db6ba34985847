def inbox_counts(request):
    """Count of the user's open tasks for the menu badge."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from .selectors import task_counts

    counts = task_counts(user=user)
    return {"inbox_open_count": counts["mine"] + counts["queue"]}
