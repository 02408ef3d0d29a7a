"""The matrix can fail: a permission loosened on one page, Kenya's content on a page of France, and a
route without an entry each make it report, naming the visitor and the route."""

from tests.access.matrix import disagreements, routes_found
from tests.access.test_matrix import ENTRIES, route_check


def test_a_loosened_permission_fails_the_matrix(world, clients, monkeypatch):
    assert route_check("tenants:data", world, clients) == []
    from tenants.keys import views
    from tenants.pages import request_country

    # The data page asks for France's country admin; loosened, it lets any member of France in.
    monkeypatch.setattr(views, "_admin_country", request_country)
    problems = route_check("tenants:data", world, clients)
    assert any(p.startswith("officer: expected 403, got 200") for p in problems), problems
    assert any(p.startswith("viewer: expected 403, got 200") for p in problems), problems


def test_kenya_on_a_page_of_france_fails_the_matrix(world, clients, monkeypatch):
    from django.template import loader

    # The incident page, made to name a Kenyan organisation as well: the body check notices.
    render = loader.render_to_string

    def leaky(template_name, context=None, request=None, using=None):
        html = render(template_name, context, request, using)
        return html + "<p>Ministry of Health</p>" if template_name == "governance/incident_detail.html" else html

    monkeypatch.setattr(loader, "render_to_string", leaky)
    problems = route_check("governance:incident", world, clients)
    assert any("shows Kenya's 'Ministry of Health'" in p and p.startswith("officer:") for p in problems), problems


def test_a_route_without_an_entry_fails_the_matrix():
    entries = dict(ENTRIES)
    del entries["governance:incident_reported"]
    assert disagreements(routes_found(), entries) == [
        "governance:incident_reported (c/<str:code>/governance/incidents/<int:pk>/reported/): no entry; "
        "add a line to tests/access/routes_governance.py"
    ]
    assert disagreements(routes_found(), ENTRIES) == []
