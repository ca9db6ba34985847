"""Organisation-scoped object permissions.

guardian answers for rights granted on single objects (an expert assigned to
one document). What a whole organisation may do follows from where a user
works, so it is a rule here rather than one guardian row per document.
"""
from plans import rules


class OrganisationScopeBackend:
    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not user_obj.is_active:
            return False
        return rules.organisation_grants(user_obj, perm, obj)

    def get_all_permissions(self, user_obj, obj=None):
        return set()
