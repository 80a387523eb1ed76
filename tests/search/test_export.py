"""The search export: the same columns and values in CSV and Excel, readable
labels, UTC times, and text from providers that can never run as a formula."""
import csv
import io
from datetime import UTC, datetime, timedelta, timezone

from openpyxl import load_workbook

from search.export import COLUMNS, label, to_csv, to_xlsx

GENERATED_AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
CRITERIA = {"postcode": "S70 1AA", "radius_miles": 10.0, "stay": "long_term",
            "vacancy_types": ["dementia_nursing", "general_nursing"], "accepting_today": True,
            "max_weekly_price": "1200.00", "funding_sources": ["personal_health_budget"],
            "brand": "=HYPERLINK(\"http://x\")", "out_of_hours_admissions": False, "page": 1, "per_page": 20}
HEADERS = [header for header, _ in COLUMNS]


def create_card(*, location_id="1-1000000001", name="Alder House", distance_miles=1.26, **changes):
    card = {
        "location_id": location_id, "name": name, "provider_name": "Alder Care Ltd", "brand_name": "Alder Group",
        "address": {"street_address": "1 High Street", "address_line_2": None, "city": "Barnsley",
                    "county": "South Yorkshire", "postcode": "S70 1AA"},
        "telephone": "01226 000000", "website": None,
        "manager": {"name": "Sam Jones", "email": "sam@example.org", "phone": "01226 000001",
                    "nhsmail": "sam.jones@nhs.net"},
        "latitude": 53.55, "longitude": -1.48, "la_code": "E08000016", "sub_icb_code": "E38000006",
        "distance_miles": distance_miles,
        "cqc": {"overall_rating": "Good", "rating_published": "2024-03-01", "registered_beds": 40},
        "care_types": ["residential", "nursing"], "funding_sources": ["local_authority", "personal_health_budget"],
        "out_of_hours_admissions": True,
        "rooms": {"en_suite": True, "equipment": ["hoist"], "accessibility": ["lift", "level_access"]},
        "services": {"short_stay_services": ["respite_care", "discharge_to_assess"],
                     "long_term_vacancy_types": ["dementia_residential", "general_nursing"],
                     "languages": ["English", "Polish"],
                     "regulated_activities": ["Accommodation for persons who require nursing or personal care",
                                              "Treatment of disease, disorder or injury"],
                     "specialisms": ["Dementia"], "service_types": ["Care home service with nursing"]},
        "approved_contracts": [{"commissioner_kind": "local_authority", "commissioner_code": "E08000016"},
                               {"commissioner_kind": "sub_icb", "commissioner_code": "E38000006"}],
        "notes": [{"text": 'Hoist available, "pets" welcome\nAsk for Jo', "updated_at": "2026-11-20T09:00:00+00:00"},
                  {"text": "Parking at rear", "updated_at": "2026-11-21T09:00:00+00:00"}],
        "last_updated": "2026-11-23T08:15:00+00:00", "stale": False, "admission_status": "accepting",
        "vacancies": [{"vacancy_type": "dementia_residential", "weekly_price_from": "850.00", "vacant_accepting": 2,
                       "flexible": True},
                      {"vacancy_type": "general_nursing", "weekly_price_from": "1100.00", "vacant_accepting": 0,
                       "flexible": False}],
        "short_stay_prices": {"respite_care": "900.00", "discharge_to_assess": "1250.50"},
        "total_accepting": 2,
    }
    card.update(changes)
    return card


ALDER = create_card()
FORMULA = create_card(  # a name that Excel would run, no postcode search, sparse details
    location_id="1-1000000002", name="=1+2", distance_miles=None, brand_name=None, telephone="+44 1226 000002",
    manager={}, cqc={"overall_rating": None, "rating_published": None, "registered_beds": None},
    out_of_hours_admissions=None, rooms={}, approved_contracts=[], notes=[], vacancies=[], short_stay_prices={},
    last_updated="2026-06-01T23:45:00+01:00", stale=True, admission_status="not_accepting", total_accepting=0,
    services={}, care_types=[], funding_sources=[])
CAFE = create_card(location_id="1-1000000003", name="Café Lumière", distance_miles=3.04,
                   address={"street_address": "2 Rue", "address_line_2": "Øster Lane", "city": "Leeds",
                            "county": None, "postcode": "LS1 1AA"},
                   notes=[{"text": "Vertical\x0btab pasted", "updated_at": None}])
CARDS = [ALDER, FORMULA, CAFE]


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_label_uses_the_table_then_title_case():
    assert label("dementia_nursing") == "Dementia Nursing"
    assert label("personal_health_budget") == "Personal Health Budget (PHB)"
    assert label("sub_icb") == "Sub-ICB"
    assert label("local_authority") == "Local Authority"
    assert label("la_safeguarding") == "LA Safeguarding"
    assert label(None) == ""


def test_csv_is_utf8_with_a_bom_and_crlf_rows():
    data = to_csv(CARDS, CRITERIA, GENERATED_AT)

    assert data.startswith(b"\xef\xbb\xbfDistance (miles),Name,Provider,")
    assert data.decode("utf-8-sig").split("\r\n")[0].split(",") == HEADERS
    assert "Café Lumière".encode() in data


def test_csv_rows_hold_every_column_in_order():
    rows = read_csv(to_csv(CARDS, CRITERIA, GENERATED_AT))

    assert [row["Location ID"] for row in rows] == ["1-1000000001", "1-1000000002", "1-1000000003"]
    assert rows[0] == {
        "Distance (miles)": "1.3", "Name": "Alder House", "Provider": "Alder Care Ltd", "Brand": "Alder Group",
        "Address": "1 High Street, Barnsley, South Yorkshire", "Postcode": "S70 1AA", "Telephone": "01226 000000",
        "Manager": "Sam Jones", "Manager email": "sam@example.org", "Manager phone": "01226 000001",
        "NHSmail": "sam.jones@nhs.net", "CQC rating": "Good", "Registered beds": "40",
        "Last updated (UTC)": "23 Nov 2026 08:15", "Stale": "No", "Admission status": "Accepting admissions",
        "Vacancies accepting": "2",
        "Vacancies by type": "Dementia Residential: 2 (flexible), £850.00 a week; "
                             "General Nursing: 0, £1,100.00 a week",
        "Short stay prices": "Respite Care £900.00 a week; Discharge to Assess £1,250.50 a week",
        "Short stay services": "Respite Care, Discharge to Assess",
        "Long term vacancy types": "Dementia Residential, General Nursing", "Languages": "English, Polish",
        "Care types": "Residential, Nursing", "Funding sources": "Local Authority, Personal Health Budget (PHB)",
        "Out-of-hours admissions": "Yes", "Rooms": "En-suite; equipment: Hoist; accessibility: Lift, Level Access",
        "Contracts": "Local Authority E08000016; Sub-ICB E38000006",
        "Notes": 'Hoist available, "pets" welcome\nAsk for Jo | Parking at rear',
        "CQC regulated activities": "Accommodation for persons who require nursing or personal care; "
                                    "Treatment of disease, disorder or injury",
        "CQC specialisms": "Dementia", "CQC service types": "Care home service with nursing",
        "Location ID": "1-1000000001"}
    assert rows[2]["Name"] == "Café Lumière"
    assert rows[2]["Distance (miles)"] == "3.0"
    assert rows[2]["Address"] == "2 Rue, Øster Lane, Leeds"


def test_csv_blanks_what_is_missing():
    row = read_csv(to_csv([FORMULA], {}, GENERATED_AT))[0]

    assert row["Distance (miles)"] == ""
    assert row["Brand"] == row["Manager"] == row["CQC rating"] == row["Registered beds"] == ""
    assert row["Out-of-hours admissions"] == row["Rooms"] == row["Notes"] == row["Vacancies by type"] == ""
    assert row["Last updated (UTC)"] == "1 Jun 2026 22:45"  # from British Summer Time
    assert row["Stale"] == "Yes"
    assert row["Admission status"] == "Not accepting admissions"
    assert row["Vacancies accepting"] == "0"


def test_csv_quotes_text_that_could_run_as_a_formula():
    cards = [FORMULA, create_card(name="@SUM(A1)", provider_name="-2+3", brand_name="\tTab", notes=[])]
    rows = read_csv(to_csv(cards, CRITERIA, GENERATED_AT))

    assert rows[0]["Name"] == "'=1+2"
    assert rows[0]["Telephone"] == "'+44 1226 000002"
    assert (rows[1]["Name"], rows[1]["Provider"], rows[1]["Brand"]) == ("'@SUM(A1)", "'-2+3", "'\tTab")
    assert rows[1]["Address"] == "1 High Street, Barnsley, South Yorkshire"  # ordinary text untouched


def test_csv_quotes_commas_quotes_and_newlines():
    text = to_csv([ALDER], CRITERIA, GENERATED_AT).decode("utf-8-sig")

    assert '"Hoist available, ""pets"" welcome\nAsk for Jo | Parking at rear"' in text
    assert text.count("\r\n") == 2  # the newline inside the note is not a row end


def test_csv_with_no_results_is_the_header_alone():
    data = to_csv([], CRITERIA, GENERATED_AT)

    assert data == ("\ufeff" + ",".join(HEADERS) + "\r\n").encode()


def test_xlsx_results_sheet_matches_the_csv():
    workbook = read_xlsx(to_xlsx(CARDS, CRITERIA, GENERATED_AT))

    assert workbook.sheetnames == ["Vacancies", "Search"]
    sheet = workbook["Vacancies"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    assert len(values) == 4
    csv_rows = read_csv(to_csv(CARDS, CRITERIA, GENERATED_AT))
    for xlsx_row, csv_row in zip(values[1:3], csv_rows[:2]):
        assert ["" if value is None else str(value) for value in xlsx_row] == [csv_row[h] for h in HEADERS]


def test_xlsx_keeps_numbers_as_numbers_and_text_as_text():
    sheet = read_xlsx(to_xlsx(CARDS, CRITERIA, GENERATED_AT))["Vacancies"]
    column = {header: index for index, header in enumerate(HEADERS)}
    alder, formula, cafe = list(sheet.iter_rows(min_row=2))

    assert alder[column["Distance (miles)"]].value == 1.3
    assert alder[column["Distance (miles)"]].number_format == "0.0"
    assert alder[column["Registered beds"]].value == 40
    assert alder[column["Vacancies accepting"]].value == 2
    assert alder[column["Telephone"]].value == "01226 000000"  # a leading zero is kept
    assert formula[column["Distance (miles)"]].value is None
    assert formula[column["Name"]].value == "'=1+2"
    assert formula[column["Name"]].data_type == "s"
    assert formula[column["Vacancies accepting"]].value == 0
    assert cafe[column["Name"]].value == "Café Lumière"
    assert cafe[column["Notes"]].value == "Verticaltab pasted"  # a control character Excel refuses is dropped
    assert alder[column["Notes"]].value == 'Hoist available, "pets" welcome\nAsk for Jo | Parking at rear'


def test_xlsx_quotes_a_formula_hidden_behind_a_control_character():
    card = create_card(name="\x0b=1+2", notes=[{"text": "\x01@cmd", "updated_at": None}])
    sheet = read_xlsx(to_xlsx([card], {"notes_contain": "\x02-x"}, GENERATED_AT))

    assert sheet["Vacancies"]["B2"].value == "'=1+2"
    assert sheet["Vacancies"].cell(2, HEADERS.index("Notes") + 1).value == "'@cmd"
    assert sheet["Search"]["B2"].value == "'-x"


def test_xlsx_header_is_bold_frozen_and_filtered():
    sheet = read_xlsx(to_xlsx(CARDS, CRITERIA, GENERATED_AT))["Vacancies"]

    assert all(cell.font.bold for cell in sheet[1])
    assert not sheet["B2"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AF4"
    assert 10 <= sheet.column_dimensions["B"].width <= 50
    assert sheet.column_dimensions["R"].width == 50  # vacancies by type: long, capped


def test_xlsx_search_sheet_says_what_was_searched():
    sheet = read_xlsx(to_xlsx(CARDS, CRITERIA, GENERATED_AT))["Search"]

    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Criterion", "Value"],
        ["Postcode", "S70 1AA"],
        ["Radius (miles)", 10],
        ["Stay", "Long Term"],
        ["Vacancy types", "Dementia Nursing, General Nursing"],
        ["Accepting admissions today", "Yes"],
        ["Brand or provider", "'=HYPERLINK(\"http://x\")"],
        ["Maximum weekly price", "£1,200.00"],
        ["Funding sources", "Personal Health Budget (PHB)"],
        ["Out-of-hours admissions", "No"],
        ["Generated", "23 Nov 2026 09:30 UTC"],
        ["Results", 3],
    ]
    assert sheet["A1"].font.bold


def test_xlsx_with_no_results_is_the_header_alone():
    workbook = read_xlsx(to_xlsx([], {}, datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=1)))))

    sheet = workbook["Vacancies"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [HEADERS]
    assert sheet.auto_filter.ref == "A1:AF1"
    assert sheet.freeze_panes == "A2"
    assert [list(row) for row in workbook["Search"].iter_rows(values_only=True)] == [
        ["Criterion", "Value"], ["Generated", "23 Nov 2026 09:00 UTC"], ["Results", 0]]
