from django import template

from notices import services

register = template.Library()


@register.simple_tag(takes_context=True)
def may_urge(context, document) -> bool:
    """Whether the page's user may 催办 this document (its author, while in review)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return bool(user and user.is_authenticated and services.may_urge(user, document))
