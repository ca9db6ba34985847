"""Who may see which roll-up (the chain's rule itself is accounts.regions)."""
from accounts import regions
from accounts.models import User


def may_view_province(user: User, province_id) -> bool:
    return user.is_province_officer and user.organisation.province_id == province_id


def may_view_city(user: User, city_id) -> bool:
    return regions.oversees_city(user, city_id)


def may_view_district(user: User, district_id) -> bool:
    """The district's own bureau and training school, and the officers above it."""
    return user.is_district_reviewer_of(district_id) or regions.oversees_district(user, district_id)


def may_refresh(user: User, district_id) -> bool:
    """"Refresh now": the district's bureau and the officers above it."""
    return (user.is_bureau_officer and user.district_id == district_id) or regions.oversees_district(user, district_id)
