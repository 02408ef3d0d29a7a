"""The required-training page: four visitors, adding and removing a country requirement, bad input
and other countries' ids."""

import pytest

from tenants.access import access_for
from tenants.isolation import country_context
from training import services
from training.models import CountryRequirement

pytestmark = pytest.mark.django_db
URL = "/c/fr/training/requirements/"


@pytest.mark.parametrize("who,expected", [("owner", 200), ("member", 200), ("outsider", 404), ("anonymous", 302)])
def test_page_for_four_visitors(client, cast, catalogue, who, expected):
    if who != "anonymous":
        client.force_login(getattr(cast, who))
    response = client.get(URL)
    assert response.status_code == expected
    if expected == 200:
        page = response.content.decode()
        assert "AI literacy for civil servants" in page  # the platform's requirement
        assert ("Add a requirement" in page) == (who == "owner")
    post = client.post(URL, {"programme": "data-protection-ai", "role": "viewer"})
    assert post.status_code == {"owner": 302, "member": 403, "outsider": 404, "anonymous": 302}[who]
    with country_context(cast.fr):
        assert CountryRequirement.objects.exists() == (who == "owner")


def test_add_bad_input_and_remove(client, cast, catalogue):
    client.force_login(cast.owner)
    response = client.post(URL, {"programme": "nope", "role": "viewer", "sector": "moon"})
    assert response.status_code == 400
    assert "Choose a programme from the list." in response.content.decode()
    assert client.post(URL, {"programme": "ai-literacy", "role": "viewer", "sector": "health"}).status_code == 302
    response = client.post(URL, {"programme": "ai-literacy", "role": "viewer", "sector": "health"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    ke = services.requirement_add(
        country=cast.ke,
        by=cast.outsider,
        access=access_for(cast.outsider),
        programme=catalogue["ai-literacy"],
        role="viewer",
    )
    assert client.post(URL, {"remove": str(ke.pk)}).status_code == 404  # another country's id
    assert client.post(URL, {"remove": "x" * 40}).status_code == 404
    with country_context(cast.fr):
        mine = CountryRequirement.objects.get()
    # Digits other than ASCII's name no requirement: "²" and "①" are refused by int(), and the
    # Arabic-Indic digits of the requirement's own id are read by int() as that id.
    arabic_indic = str(mine.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    for value in ("²", "①", f"{mine.pk}²", arabic_indic):
        assert client.post(URL, {"remove": value}).status_code == 404, value
    # Removing asks first: the list's button leads to a confirmation page that needs a reason.
    confirm = f"/c/fr/training/requirements/{mine.pk}/remove/"
    response = client.post(URL, {"remove": str(mine.pk)})
    assert response.status_code == 302 and response["Location"] == confirm
    assert client.post(confirm, {"comment": ""}).status_code == 400
    with country_context(cast.fr):
        assert CountryRequirement.objects.filter(pk=mine.pk).exists()
    assert client.post(confirm, {"comment": "Replaced by the ministry's own course."}).status_code == 302
    with country_context(cast.fr):
        assert not CountryRequirement.objects.exists()
    with country_context(cast.ke):
        assert CountryRequirement.objects.filter(pk=ke.pk).exists()
