from identity.rules import WEBMAIL_DOMAINS, application_flags

ORG = ["sunnyside-care.co.uk"]
STAFF = [("Tom Jones", "tom.jones@sunnyside-care.co.uk")]


def flags(email, *, name="Priya Sharma", domains=ORG, existing=STAFF):
    return application_flags(name=name, email=email, organisation_email_domains=domains,
                             existing_users=existing)


def test_clean_application_has_no_flags():
    assert flags("priya.sharma@sunnyside-care.co.uk") == []
    assert flags("priya.sharma@nhs.net", domains=[]) == []


def test_webmail_list():
    assert {"gmail.com", "hotmail.co.uk", "btinternet.com", "proton.me", "blueyonder.co.uk"} <= WEBMAIL_DOMAINS


def test_personal_webmail():
    assert flags("priya@gmail.com") == ["personal_webmail:gmail.com"]
    assert flags("priya@hotmail.co.uk", domains=[]) == ["personal_webmail:hotmail.co.uk"]


def test_typo_of_organisation_domain():
    assert flags("priya@sunnysde-care.co.uk") == ["email_domain_typo:sunnyside-care.co.uk"]
    assert flags("priya@sunnyside-care.co.kuk") == ["email_domain_typo:sunnyside-care.co.uk"]


def test_typo_of_well_known_domain():
    assert flags("priya@nhs.nte", domains=[]) == ["email_domain_typo:nhs.net"]
    assert flags("priya@nsh.net") == ["email_domain_typo:nhs.net"]
    assert flags("priya@nhs.ukk", domains=[]) == ["email_domain_typo:nhs.uk"]


def test_distance_three_is_not_a_typo():
    assert flags("priya@nhs.xyz", domains=[]) == []


def test_domain_unlike_organisation():
    assert flags("priya@othercare.com") == ["email_domain_unlike_organisation:othercare.com"]
    assert flags("priya@nhs.net") == ["email_domain_unlike_organisation:nhs.net"]


def test_unknown_domains_unflagged_when_organisation_has_none():
    assert flags("priya@othercare.com", domains=[]) == []


def test_subdomain_not_flagged():
    assert flags("priya@mail.sunnyside-care.co.uk") == []
    assert flags("priya@leeds.nhs.uk", domains=["nhs.uk"]) == []
    # Two characters from "nhs.uk", but a subdomain of it, not a typo.
    assert flags("priya@a.nhs.uk", domains=[]) == []


def test_domain_matching_another_org_domain_is_not_a_typo_of_its_neighbour():
    assert flags("priya@sunnyside-cares.co.uk", domains=ORG + ["sunnyside-cares.co.uk"]) == []


def test_near_duplicate_same_email_any_case():
    existing = [("Someone Else", "Priya.Sharma@Sunnyside-Care.co.uk")]
    assert flags("priya.sharma@sunnyside-care.co.uk", name="P Sharma", existing=existing) == [
        "near_duplicate:Priya.Sharma@Sunnyside-Care.co.uk"]


def test_near_duplicate_local_part_one_edit_same_domain():
    existing = [("Someone Else", "priya.sharme@sunnyside-care.co.uk")]
    assert flags("priya.sharma@sunnyside-care.co.uk", name="P S", existing=existing) == [
        "near_duplicate:priya.sharme@sunnyside-care.co.uk"]
    transposed = [("Someone Else", "priya.shamra@sunnyside-care.co.uk")]
    assert flags("priya.sharma@sunnyside-care.co.uk", name="P S", existing=transposed) == [
        "near_duplicate:priya.shamra@sunnyside-care.co.uk"]


def test_not_near_duplicate_when_two_edits_or_other_domain():
    existing = [("Someone Else", "priya.shaxxa@sunnyside-care.co.uk"),
                ("Someone Other", "priya.sharma@othercare.com")]
    assert flags("priya.sharma@sunnyside-care.co.uk", name="P S", existing=existing) == []


def test_near_duplicate_normalised_name():
    existing = [("  priya   SHARMA. ", "ps@sunnyside-care.co.uk"),
                ("Siobhan OBrien", "sob@sunnyside-care.co.uk")]
    assert flags("priya.sharma@sunnyside-care.co.uk", existing=existing) == [
        "near_duplicate:ps@sunnyside-care.co.uk"]
    assert flags("siobhan@sunnyside-care.co.uk", name="Siobhán O'Brien", existing=existing) == [
        "near_duplicate:sob@sunnyside-care.co.uk"]


def test_combinations_sorted_and_deduplicated():
    existing = [("Priya Sharma", "priya.sharma@sunnyside-care.co.uk"),
                ("Priya Sharma", "priya.sharma@sunnyside-care.co.uk"),
                ("Priya Sharma", "priya@gmail.com")]
    assert flags("Priya@GMail.com", existing=existing) == [
        "near_duplicate:priya.sharma@sunnyside-care.co.uk",
        "near_duplicate:priya@gmail.com",
        "personal_webmail:gmail.com",
    ]
    assert flags("priya@nhs.nte", domains=["nhs.net"], existing=existing) == [
        "email_domain_typo:nhs.net",
        "near_duplicate:priya.sharma@sunnyside-care.co.uk",
        "near_duplicate:priya@gmail.com",
    ]


def test_domains_compared_case_insensitively():
    assert flags("Priya.Sharma@SUNNYSIDE-Care.CO.UK", domains=["Sunnyside-Care.co.uk"]) == []
    assert flags("priya@GMAIL.COM") == ["personal_webmail:gmail.com"]
    assert flags("priya@NHS.NTE", domains=["NHS.net"]) == ["email_domain_typo:nhs.net"]
    assert flags("priya@OtherCare.com", domains=["SUNNYSIDE-CARE.CO.UK"]) == [
        "email_domain_unlike_organisation:othercare.com"]
