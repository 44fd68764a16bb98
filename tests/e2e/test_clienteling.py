"""The clienteling card in a real browser: what a store associate types finds the customer,
and nothing unmasked reaches the browser (page or network)."""

from __future__ import annotations

import json
import re
from typing import Any

import phonenumbers
import pytest

from tests.e2e.conftest import DESKTOP, ROOT, TABLET, Site, login, shot, until

FIND = """query Phones { searchProfiles(filter: {identifierType: "phone"}, first: 100) {
  nodes { pid givenName { value } familyName { value } postcode { value }
          enrichment { loyaltyTier ordersCount }
          identifiers { type value } } } }"""
BY_IDENTIFIER = """query ($t: String!, $v: String!) {
  profileByIdentifier(type: $t, value: $v) { pid } }"""
EMAIL = re.compile(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")


@pytest.fixture(scope="module")
def customer(site: Site) -> dict[str, Any]:
    """A customer with a mobile phone and an email that each find them, a loyalty tier and
    orders. Their `emails` are all they hold (a junk `noemail@...` one, which finds nobody,
    included): none may reach the browser unmasked; `email` is one an associate can search."""

    def finds(pid: str, kind: str, value: str) -> bool:
        found = site.gql(BY_IDENTIFIER, {"t": kind, "v": value})["profileByIdentifier"]
        return found is not None and found["pid"] == pid

    for p in site.gql(FIND)["searchProfiles"]["nodes"]:
        phones = [i["value"] for i in p["identifiers"] if i["type"] == "phone"]
        emails = [i["value"] for i in p["identifiers"] if i["type"] == "email"]
        mobile = next((x for x in phones if x.startswith("+614")), None)
        if not (mobile and emails and p["enrichment"]["loyaltyTier"] and p["postcode"]):
            continue
        if not p["enrichment"]["ordersCount"]:
            continue
        email = next((e for e in emails if finds(p["pid"], "email", e)), None)
        if email is not None and finds(p["pid"], "phone", mobile):
            return {**p, "mobile": mobile, "phones": phones, "emails": emails, "email": email}
    pytest.fail("the generated data has no suitable customer")


def typed_three_ways(e164: str) -> list[str]:
    n = phonenumbers.parse(e164)
    national = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = re.sub(r"\D", "", national)
    return [
        e164,  # +61412345678
        national,  # 0412 345 678
        f"({digits[:4]}) {digits[4:7]}-{digits[7:]}",  # (0412) 345-678
    ]


def search(page: Any, text: str) -> Any:
    box = page.get_by_label("Phone, email or loyalty number")
    box.fill(text)
    box.press("Enter")
    return page


def test_a_phone_typed_three_ways_finds_the_same_card(
    browser: Any, site: Site, customer: dict[str, Any]
) -> None:
    page = login(browser, site, site.keys.clienteling, TABLET)
    assert page.get_by_test_id("role").inner_text() == "clienteling"
    # The associate's screens only: no analyst navigation.
    assert page.get_by_role("link", name="Profiles & graph").count() == 0
    for text in typed_three_ways(customer["mobile"]):
        card = search(page, text).get_by_test_id("customer-card")
        card.wait_for()
        page.wait_for_selector("[data-testid=customer-card][data-render-ms]")
        assert card.get_attribute("data-pid") == customer["pid"], text
        name = f"{customer['givenName']['value']} {customer['familyName']['value']}"
        assert page.get_by_role("heading", name=name).is_visible()
        assert customer["enrichment"]["loyaltyTier"] in page.get_by_test_id("loyalty").inner_text()
        for section in ("Top categories", "Last purchases", "Service tickets", "Consent"):
            assert page.get_by_role("heading", name=section).is_visible()
    shot(page, "clienteling-card-tablet")
    page.set_viewport_size(DESKTOP)
    shot(page, "clienteling-card-desktop")
    page.context.close()


def test_nothing_unmasked_reaches_the_browser(
    browser: Any, site: Site, customer: dict[str, Any]
) -> None:
    page = login(browser, site, site.keys.clienteling, TABLET)
    bodies: list[str] = []

    def keep(response: Any) -> None:
        if response.request.resource_type in ("fetch", "xhr", "document"):
            bodies.append(response.text())

    page.on("response", keep)
    page.reload()
    page.get_by_label("Phone, email or loyalty number").wait_for()
    for text in (customer["mobile"], customer["email"]):
        search(page, text)
        page.wait_for_selector(f"[data-testid=customer-card][data-pid='{customer['pid']}']")
    page.wait_for_load_state("networkidle")
    bodies.append(page.content())
    everything = "\n".join(bodies)
    assert any('"profileByIdentifier"' in b or '"c0"' in b for b in bodies)  # we saw the API
    for email in customer["emails"]:
        assert email.lower() not in everything.lower()
    for phone in customer["phones"]:
        digits = phone.lstrip("+")
        national = "0" + digits[2:] if digits.startswith("61") else digits
        assert digits not in re.sub(r"[\s()-]", "", everything)
        assert national not in re.sub(r"[\s()-]", "", everything)
    assert EMAIL.findall(everything) == [], "an unmasked email reached the browser"
    # The masked forms are what the associate sees.
    card = page.get_by_test_id("contact").inner_text()
    assert "***@" in card and "*****" in card
    page.context.close()


def test_a_miss_says_so_and_offers_name_and_postcode(
    browser: Any, site: Site, customer: dict[str, Any]
) -> None:
    page = login(browser, site, site.keys.clienteling, TABLET)
    search(page, "nobody-at-all@example.invalid")
    miss = page.get_by_test_id("lookup-miss")
    miss.wait_for()
    assert "No customer found" in miss.inner_text()
    shot(page, "clienteling-miss-tablet")
    page.get_by_label("Name").fill(customer["familyName"]["value"])
    page.get_by_label("Postcode").fill(customer["postcode"]["value"])
    page.get_by_role("button", name="Search", exact=True).click()
    name = f"{customer['givenName']['value']} {customer['familyName']['value']}"
    page.get_by_role("button", name=re.compile(re.escape(name))).first.click()
    page.wait_for_selector("[data-testid=customer-card]")
    assert page.get_by_role("heading", name=name).is_visible()
    page.context.close()


def test_keyboard_only_search_and_card(browser: Any, site: Site, customer: dict[str, Any]) -> None:
    page = login(browser, site, site.keys.clienteling, TABLET)
    # The search box takes the focus on arrival (once it has mounted, which can be a moment
    # after the header: keys typed before that go nowhere); typing and Enter find the card.
    box = page.get_by_label("Phone, email or loyalty number").element_handle()
    assert until(page, "(box) => document.activeElement === box", box)
    page.keyboard.type(customer["email"].upper())
    page.keyboard.press("Enter")
    page.wait_for_selector(f"[data-testid=customer-card][data-pid='{customer['pid']}']")
    # Tab goes from the box to its button, then on through the page.
    page.get_by_label("Phone, email or loyalty number").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Find"
    page.keyboard.press("Enter")  # the button works from the keyboard too
    page.wait_for_selector("[data-testid=customer-card][data-render-ms]")
    page.context.close()


AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (exclude) => (await axe.run({exclude: exclude.map(s => [s])},"
        " {runOnly: ['wcag2a', 'wcag2aa']})).violations",
        exclude or [],
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result
    ]


def test_login_and_card_pass_axe(browser: Any, site: Site, customer: dict[str, Any]) -> None:
    # axe is injected as a script: the test's context bypasses the app's CSP to do so.
    context = browser.new_context(viewport=TABLET, base_url=site.url, bypass_csp=True)
    page = context.new_page()
    page.goto("/app/")
    page.get_by_label("API key").wait_for()
    shot(page, "login-tablet")
    assert axe_violations(page) == []
    page.get_by_label("API key").fill(site.keys.clienteling)
    page.get_by_role("button", name="Log in").click()
    search(page, customer["mobile"])
    page.wait_for_selector("[data-testid=customer-card][data-render-ms]")
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    context.close()


def test_analyst_screens_pass_axe(browser: Any, site: Site, customer: dict[str, Any]) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=site.url, bypass_csp=True)
    page = context.new_page()
    page.goto("/app/")
    page.get_by_label("API key").fill(site.keys.admin)
    page.get_by_role("button", name="Log in").click()
    page.get_by_test_id("profile-results").wait_for()
    found = {"search": axe_violations(page)}
    page.goto(f"/app/profiles/{customer['pid']}")
    page.get_by_role("heading", name="Identity graph").wait_for()
    page.wait_for_timeout(300)
    # the canvas is labelled as an image; cytoscape's own layers are excluded
    found["profile"] = axe_violations(page, ["[data-testid=graph] > div"])
    page.goto("/app/segments/new")
    page.get_by_label("Add a condition").first.select_option("attribute")
    found["segments"] = axe_violations(page)
    page.goto("/app/health")
    page.get_by_test_id("batches").wait_for()
    found["health"] = axe_violations(page)
    assert found == {"search": [], "profile": [], "segments": [], "health": []}, json.dumps(
        found, indent=1
    )
    context.close()
