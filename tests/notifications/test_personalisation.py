"""Personalisation of email templates, following GOV.UK Notify's rules."""
import pytest

from notifications.personalisation import (
    MissingPersonalisation,
    placeholders,
    render_html,
    render_subject,
    render_text,
)


# Placeholders and names

def test_names_are_case_insensitive_in_template_and_keys():
    assert render_text("Dear ((First Name)), ((first name))", {"FIRST NAME": "Ada"}) == "Dear Ada, Ada"


def test_whitespace_inside_the_brackets_is_ignored():
    assert render_text("Dear (( First name )),", {"first name": "Ada"}) == "Dear Ada,"


def test_keys_with_surrounding_whitespace_match():
    assert render_text("((name))", {" Name ": "Ada"}) == "Ada"


def test_extra_values_are_ignored():
    assert render_text("Hello ((name))", {"name": "Ada", "unused": "x", "other": [1]}) == "Hello Ada"


def test_text_without_placeholders_is_unchanged():
    assert render_text("No (brackets) here (( )) or ((\n))", {}) == "No (brackets) here (( )) or ((\n))"


def test_numbers_and_booleans_render_with_str():
    text = "Beds: ((beds)), occupancy ((rate))%, open ((open))"
    assert render_text(text, {"beds": 12, "rate": 87.5, "open": True}) == "Beds: 12, occupancy 87.5%, open True"
    assert render_text("((zero))", {"zero": 0}) == "0"


def test_unsupported_value_types_are_refused():
    with pytest.raises(TypeError):
        render_text("((details))", {"details": {"a": 1}})


def test_placeholders_lists_lower_cased_names_including_conditional_ones():
    template = (
        "Dear (( First Name )),\n\n"
        "Your home ((Home name)) has ((vacancies)) vacancies.\n"
        "((URGENT??Please reply today.))\n"
        "((first name)) again, ((home NAME)) again"
    )
    assert placeholders(template) == {"first name", "home name", "vacancies", "urgent"}


def test_placeholders_of_plain_text_is_empty():
    assert placeholders("Nothing to fill (really)") == set()


# Missing personalisation

def test_every_missing_name_is_reported_at_once_sorted_and_lower_cased():
    with pytest.raises(MissingPersonalisation) as caught:
        render_text("((Zeta)) ((alpha)) ((Urgent??Reply today)) ((present))", {"present": "here"})
    assert caught.value.missing == ["alpha", "urgent", "zeta"]
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == "Missing personalisation: alpha, urgent, zeta"


def test_missing_conditional_alone_is_reported():
    with pytest.raises(MissingPersonalisation) as caught:
        render_html("((Urgent??Reply today))", {})
    assert caught.value.missing == ["urgent"]


def test_none_counts_as_missing():
    with pytest.raises(MissingPersonalisation) as caught:
        render_subject("Hello ((name))", {"name": None})
    assert caught.value.missing == ["name"]


@pytest.mark.parametrize("render", [render_text, render_html, render_subject])
def test_every_render_checks_for_missing_values(render):
    with pytest.raises(MissingPersonalisation) as caught:
        render("((a)) ((b))", {"A": "x"})
    assert caught.value.missing == ["b"]


# Escaping

def test_values_are_escaped_in_html():
    personalisation = {"name": "<script>alert(1)</script>", "home": "Bed & Breakfast"}
    assert render_html("Hello ((name)) of ((home))", personalisation) == (
        "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt; of Bed &amp; Breakfast</p>"
    )


def test_values_are_not_escaped_in_text_or_subject():
    personalisation = {"name": "<script>alert(1)</script>", "home": "Bed & Breakfast"}
    assert render_text("Hello ((name)) of ((home))", personalisation) == (
        "Hello <script>alert(1)</script> of Bed & Breakfast"
    )
    assert render_subject("((home)) update", personalisation) == "Bed & Breakfast update"


def test_template_text_is_escaped_in_html_too():
    assert render_html("Fish & chips <b>", {}) == "<p>Fish &amp; chips &lt;b&gt;</p>"


# Lists

def test_list_mid_line_starts_on_a_new_line_in_text():
    assert render_text("Wards: ((wards))", {"wards": ["Oak", "Elm"]}) == "Wards:\n* Oak\n* Elm"


def test_list_at_line_start_in_text():
    text = "Wards:\n((wards))\nThanks"
    assert render_text(text, {"wards": ["Oak", "Elm"]}) == "Wards:\n* Oak\n* Elm\nThanks"


def test_list_followed_by_text_on_the_same_line_in_text():
    assert render_text("((wards)) are open", {"wards": ["Oak", "Elm"]}) == "* Oak\n* Elm\nare open"


def test_list_items_are_rendered_with_str_and_not_escaped_in_text():
    assert render_text("((items))", {"items": [1, "A & <B>"]}) == "* 1\n* A & <B>"


def test_list_in_html_is_a_ul_with_escaped_items():
    assert render_html("((wards))", {"wards": ["Oak & Elm", "<Ash>"]}) == (
        "<ul><li>Oak &amp; Elm</li><li>&lt;Ash&gt;</li></ul>"
    )


def test_list_mid_paragraph_in_html_is_not_inside_the_paragraph():
    assert render_html("Wards: ((wards)) today", {"wards": ["Oak", "Elm"]}) == (
        "<p>Wards:</p><ul><li>Oak</li><li>Elm</li></ul><p>today</p>"
    )


def test_empty_list_renders_as_nothing():
    assert render_text("Wards: ((wards))", {"wards": []}) == "Wards: "
    assert render_text("((wards))", {"wards": []}) == ""
    assert render_html("((wards))", {"wards": []}) == ""
    assert render_html("Wards: ((wards))", {"wards": []}) == "<p>Wards:</p>"
    assert render_subject("Wards: ((wards))", {"wards": []}) == "Wards:"


# Conditional text

@pytest.mark.parametrize("value", [True, "yes", "Yes ", "YES", "true", " True"])
def test_conditional_text_is_shown(value):
    text = "Hello.((urgent?? Please reply today.))"
    assert render_text(text, {"urgent": value}) == "Hello. Please reply today."


@pytest.mark.parametrize("value", [False, "no", "", "1", 1, "maybe", ["yes"]])
def test_conditional_text_is_hidden(value):
    text = "Hello.((urgent?? Please reply today.))"
    assert render_text(text, {"urgent": value}) == "Hello."


def test_conditional_text_in_html_is_escaped_and_hidden_paragraphs_vanish():
    text = "Hello\n\n((urgent??Reply today & <now>))"
    assert render_html(text, {"urgent": "Yes"}) == "<p>Hello</p>\n<p>Reply today &amp; &lt;now&gt;</p>"
    assert render_html(text, {"urgent": "no"}) == "<p>Hello</p>"


def test_conditional_name_is_case_insensitive_and_trimmed():
    assert render_subject("Update((  URGENT ?? - urgent))", {"Urgent": True}) == "Update - urgent"


# Subject

def test_subject_replaces_newlines_in_values_with_spaces():
    assert render_subject("Re: ((home))", {"home": "Oak House\nBarnsley\r\n\nS70"}) == "Re: Oak House Barnsley S70"


def test_subject_joins_lists_with_commas():
    assert render_subject("Wards: ((wards))", {"wards": ["Oak", "Elm", 3]}) == "Wards: Oak, Elm, 3"


def test_subject_is_not_escaped():
    assert render_subject("((a)) & more", {"a": "<b>"}) == "<b> & more"


# HTML formatting

def test_paragraphs_are_separated_by_blank_lines_and_lines_break_within():
    text = "Dear ((name)),\n\nFirst line\nsecond line\n\n\nLast"
    assert render_html(text, {"name": "Ada"}) == (
        "<p>Dear Ada,</p>\n<p>First line<br>second line</p>\n<p>Last</p>"
    )


def test_newlines_in_values_become_line_breaks_in_html():
    assert render_html("Address: ((address))", {"address": "1 Main St\nBarnsley"}) == (
        "<p>Address: 1 Main St<br>Barnsley</p>"
    )


def test_bullet_lines_become_a_list_in_html():
    text = "Please check:\n* beds\n- staff & ((thing))\n\nThanks"
    assert render_html(text, {"thing": "<PPE>"}) == (
        "<p>Please check:</p>\n<ul><li>beds</li><li>staff &amp; &lt;PPE&gt;</li></ul>\n<p>Thanks</p>"
    )


def test_bullet_lines_are_plain_text_in_text_rendering():
    assert render_text("* beds\n- ((thing))", {"thing": "staff"}) == "* beds\n- staff"


def test_heading_lines_become_h2_in_html():
    text = "# Update for ((home))\nYour return is due.\n\n# Next steps"
    assert render_html(text, {"home": "Oak & Elm"}) == (
        "<h2>Update for Oak &amp; Elm</h2>\n<p>Your return is due.</p>\n<h2>Next steps</h2>"
    )


def test_values_cannot_add_formatting_in_html():
    assert render_html("((a))", {"a": "# Not a heading\n* not a bullet"}) == (
        "<p># Not a heading<br>* not a bullet</p>"
    )


def test_plain_text_keeps_the_template_as_written():
    text = "# Update\n\nDear ((name)),\n\n* one\n"
    assert render_text(text, {"name": "Ada"}) == "# Update\n\nDear Ada,\n\n* one\n"
