def inbox_counts(request):
    """Count of the user's open tasks for the menu badge."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from .selectors import task_count

    return {"inbox_open_count": task_count(user=user, tab="mine") + task_count(user=user, tab="queue")}
