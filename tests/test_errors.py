"""A malformed parameter answers 400 with a Chinese page that says what was wrong."""
from django.utils.translation import gettext


def test_a_malformed_parameter_says_why_in_chinese(world, client_for):
    response = client_for(world.school_officer).get("/attendance/school-based/", {"year": "abc"})
    assert response.status_code == 400
    page = response.content.decode()
    assert gettext("Bad request") in page
    assert gettext("A number was expected.") in page
    assert gettext("Bad request") != "Bad request"  # the catalog has it
