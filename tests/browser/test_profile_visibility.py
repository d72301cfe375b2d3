"""In a real browser: an employee chooses who sees their personal details; a colleague
sees them, a guest does not; the interface switches to French."""

import re

import requests

PHONE = "+33 1 23 45 67 89"
BIRTH_DATE = "1988-05-17"


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


def sign_in(page, account) -> None:
    page.goto("/sign-in")
    page.fill(tid("sign-in-email"), account["email"])
    page.fill(tid("sign-in-password"), account["password"])
    with page.expect_navigation():
        page.click(tid("sign-in-submit"))
    page.wait_for_selector(tid("home-welcome"))
    assert page.locator(tid("sign-in-error")).count() == 0


def test_personal_details_follow_the_visibility_the_owner_chose(parvis, new_page):
    owner = parvis.accounts["employee_en"]
    colleague = parvis.accounts["employee_es"]

    # --- the owner edits their profile in the browser
    page = new_page()
    sign_in(page, owner)
    page.click(tid("nav-me"))
    page.click(tid("profile-edit-link"))
    page.wait_for_selector(tid("profile-edit-form"))
    page.fill(tid("profile-edit-phone"), PHONE)
    page.select_option(tid("visibility-phone"), "employees")
    page.fill(tid("profile-edit-birth_date"), BIRTH_DATE)
    page.select_option(tid("visibility-birth_date"), "everyone")
    with page.expect_navigation():
        page.click(tid("profile-edit-submit"))
    assert page.url.endswith("/me")
    assert page.locator(tid("flash-success")).count() == 1
    assert PHONE in page.inner_text(tid("profile-phone"))
    assert BIRTH_DATE in page.inner_text(tid("profile-birth-date"))
    # the owner sees the audience they chose next to each value
    assert "Employees only" in page.inner_text(tid("profile-phone"))
    assert "Everyone" in page.inner_text(tid("profile-birth-date"))

    # the choice is stored, not only displayed
    me = parvis.api("employee_en").get("/api/v1/me").json()
    assert me["visibility"]["phone"] == "employees"
    assert me["visibility"]["birth_date"] == "everyone"

    # --- a colleague (another employee, own browser context) sees both
    other = new_page()
    sign_in(other, colleague)
    response = other.goto(f"/people/{owner['id']}")
    assert response.status == 200
    assert other.get_attribute(tid("profile"), "data-person-id") == owner["id"]
    assert PHONE in other.inner_text(tid("profile-phone"))
    assert BIRTH_DATE in other.inner_text(tid("profile-birth-date"))
    assert other.locator(tid("profile-edit-link")).count() == 0

    # --- the guest shares no community with the owner: the profile does not exist for them
    as_guest = requests.get(
        parvis.url(f"/api/v1/people/{owner['id']}"),
        timeout=15,
        headers={"Authorization": f"Bearer {parvis.sign_in('guest')['token']}"},
    )
    assert as_guest.status_code == 404
    guest_page = new_page()
    sign_in(guest_page, parvis.accounts["guest"])
    response = guest_page.goto(f"/people/{owner['id']}")
    assert response.status == 404
    assert guest_page.get_attribute(tid("error-page"), "data-status") == "404"
    assert PHONE not in guest_page.content()

    # --- the colleague switches the interface to French
    other.goto(f"/people/{owner['id']}")
    with other.expect_navigation():
        other.select_option(tid("language-select"), "fr")
    assert other.get_attribute("html", "lang") == "fr"
    assert other.inner_text(tid("nav-people")).strip() == "Personnes"
    assert other.inner_text(tid("nav-me")).strip() == "Mon profil"
    assert re.search(r"Téléphone", other.inner_text("main"))
    # still the same profile, values unchanged by the language
    assert PHONE in other.inner_text(tid("profile-phone"))
    # the choice sticks on the next page
    other.click(tid("nav-home"))
    assert other.get_attribute("html", "lang") == "fr"
