def inbox_counts(request):
    """Count of the user's open tasks for the menu badge (one query: workflow.selectors.task_counts)."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from .selectors import task_counts

    counts = task_counts(user=user, tabs=("mine", "queue"))
    return {"inbox_open_count": counts["mine"] + counts["queue"]}
