"""The chain above the districts: province → city → district.

A city officer oversees every district of their city, a province officer every
district of every city of their province. Overseeing is reading: roll-ups,
reports and documents, never a district's working actions, unless a review
route gives the regional organisation a step of its own. Every page that shows
a district's data to someone outside it asks these functions, so the chain's
rule lives here once.
"""
from django.db.models import Q, QuerySet

from .models import City, District, Organisation, Province, User


def region_create(*, province: str, city: str = "") -> tuple[Province, City | None]:
    """The province and city of these names, made on first use (scripts such as the demo)."""
    province_obj, _created = Province.objects.get_or_create(name=province)
    if not city:
        return province_obj, None
    city_obj, _created = City.objects.get_or_create(province=province_obj, name=city)
    return province_obj, city_obj


def districts_overseen(user: User) -> QuerySet[District]:
    """The districts a city or province officer oversees (none for anyone else)."""
    if user.is_city_officer:
        return District.objects.filter(city_id=user.organisation.city_id)
    if user.is_province_officer:
        return District.objects.filter(city__province_id=user.organisation.province_id)
    return District.objects.none()


def cities_overseen(user: User) -> QuerySet[City]:
    if user.is_city_officer:
        return City.objects.filter(pk=user.organisation.city_id)
    if user.is_province_officer:
        return City.objects.filter(province_id=user.organisation.province_id)
    return City.objects.none()


def oversees_district(user: User, district_id) -> bool:
    if district_id is None or not user.is_regional_officer:
        return False
    return districts_overseen(user).filter(pk=district_id).exists()


def oversees_city(user: User, city_id) -> bool:
    if city_id is None:
        return False
    if user.is_city_officer:
        return user.organisation.city_id == city_id
    if user.is_province_officer:
        return City.objects.filter(pk=city_id, province_id=user.organisation.province_id).exists()
    return False


def organisations_overseen(user: User) -> QuerySet[Organisation]:
    """Every organisation below the officer: the districts' and, for a province, its cities'."""
    if user.is_city_officer:
        return Organisation.objects.filter(district__city_id=user.organisation.city_id)
    if user.is_province_officer:
        province_id = user.organisation.province_id
        return Organisation.objects.filter(district__city__province_id=province_id) | \
            Organisation.objects.filter(city__province_id=province_id)
    return Organisation.objects.none()


def organisations_of_region(user: User) -> QuerySet[Organisation]:
    """The regional officer's own level: their city's or province's bureau and centres."""
    if user.is_city_officer:
        return Organisation.objects.filter(city_id=user.organisation.city_id)
    if user.is_province_officer:
        return Organisation.objects.filter(province_id=user.organisation.province_id)
    return Organisation.objects.none()


def city_of_district(district: District) -> City | None:
    return district.city


def chain_label(district: District) -> str:
    """省 · 市 · 区, as a heading or a print header names a district."""
    city = district.city
    parts = [city.province.name, city.name] if city else []
    return " ".join(parts + [district.name])


# --- the level an organisation sits at: its own documents, routes and expert pools ------------

def place_filter(organisation: Organisation, prefix: str = "") -> dict:
    """Lookups for "at the same place as this organisation": its district, city or province
    (for Organisation, or any model with district/city/province keys, e.g. workflow.ReviewRoute)."""
    if organisation.district_id:
        return {f"{prefix}district_id": organisation.district_id}
    if organisation.city_id:
        return {f"{prefix}city_id": organisation.city_id}
    return {f"{prefix}province_id": organisation.province_id}


def filing_prefix_of(organisation: Organisation) -> str:
    """First part of a filing number: the district's own, or one derived from the city's or
    province's name (许昌市教师备〔2026〕1号) for the documents of a regional organisation."""
    if organisation.district_id:
        return organisation.district.filing_prefix
    return f"{organisation.place.name}教师备"


def expert_pool_organisations(organisation: Organisation) -> QuerySet[Organisation]:
    """The expert pools whose experts may review this organisation's documents: the pool of its
    own place, and for a district's documents also its city's shared pool (never another city's)."""
    own = Q(**place_filter(organisation))
    if organisation.district_id:
        # The district's city (if any) in the same query, not looked up first (the inbox, on every load).
        own |= Q(city_id__in=District.objects.filter(pk=organisation.district_id).values("city_id"))
    return Organisation.objects.filter(own, kind=Organisation.Kind.EXPERT_POOL)
