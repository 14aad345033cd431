"""A project's kind only chooses where its dashboard opens: a store on its products, a SaaS on
its overview (tiers). Every project has both sections."""

import pytest

from tenants.models import Project
from tenants.services import project_create

pytestmark = pytest.mark.django_db


def test_the_create_form_offers_both_kinds_and_says_what_a_kind_does(alice_browser):
    page = alice_browser.get("/dashboard/").content.decode()
    assert "Subscriptions (tiers)" in page and "Store (products)" in page
    assert "Only chooses the page the dashboard opens first" in page


def test_a_new_store_project_opens_on_its_products_and_a_saas_on_its_overview(alice_browser):
    store = alice_browser.post("/dashboard/", {"name": "Poster shop", "kind": "store"}).content.decode()
    project = Project.objects.get(name="Poster shop")
    assert project.kind == "store"
    assert f'href="/dashboard/projects/{project.public_id}/products/?mode=test"' in store
    saas = alice_browser.post("/dashboard/", {"name": "API app", "kind": "saas"}).content.decode()
    other = Project.objects.get(name="API app")
    assert f'href="/dashboard/projects/{other.public_id}/?mode=test"' in saas


def test_the_projects_list_links_each_project_to_its_first_page(alice_browser, alice):
    shop, _ = project_create(platform=alice.platform, name="Poster shop", kind="store")
    page = alice_browser.get("/dashboard/?mode=test").content.decode()
    assert f'<a href="/dashboard/projects/{shop.public_id}/products/?mode=test">Poster shop</a>' in page
    assert f'<a href="/dashboard/projects/{alice.project.public_id}/?mode=test">Alice&#x27;s app</a>' in page
    assert "Store (products)" in page and "Subscriptions (tiers)" in page


@pytest.mark.parametrize("kind", ["saas", "store"])
def test_every_project_has_the_tier_and_the_store_pages(alice_browser, alice, kind):
    project, _ = project_create(platform=alice.platform, name="Either", kind=kind)
    base = f"/dashboard/projects/{project.public_id}"
    overview = alice_browser.get(f"{base}/?mode=test").content.decode()
    assert f'href="{base}/products/?mode=test"' in overview and f'href="{base}/orders/?mode=test"' in overview
    assert "Add tier" in overview
    for page in ("products/", "orders/", "users/"):
        assert alice_browser.get(f"{base}/{page}?mode=test").status_code == 200
