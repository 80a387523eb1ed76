"""Postcodes as users type them: normalised, validated, refused in plain English."""
import pytest

from tracker_common.postcodes import InvalidPostcode, normalise_postcode, outcode_of, parse_postcode_or_outcode


@pytest.mark.parametrize("typed, expected", [
    ("S70 1AA", "S70 1AA"),
    ("s701aa", "S70 1AA"),
    (" S70  1AA ", "S70 1AA"),
    ("s70 1aa", "S70 1AA"),
    ("S 70 1AA", "S70 1AA"),
    ("\tS70 1AA\n", "S70 1AA"),
    ("B1 1AA", "B1 1AA"),           # A9
    ("M11 1AE", "M11 1AE"),         # A99
    ("CR2 6XH", "CR2 6XH"),         # AA9
    ("DN55 1PT", "DN55 1PT"),       # AA99
    ("W1A 0AX", "W1A 0AX"),         # A9A
    ("EC1A 1BB", "EC1A 1BB"),       # AA9A
    ("sw1a1aa", "SW1A 1AA"),
    ("TN23 1AB", "TN23 1AB"),
    ("EH1 1AA", "EH1 1AA"),         # well-formed: Scotland is still the UK
    ("GIR 0AA", "GIR 0AA"),
    ("gir0aa", "GIR 0AA"),
    ("SW1A  1AA ", "SW1A 1AA"),     # 9 characters once trimmed
    (" SW1A   1AA ", "SW1A 1AA"),   # 10 characters once trimmed: the most allowed
])
def test_valid_postcodes_are_normalised(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize("typed", [
    "",
    "   ",
    "S70-1AA",                       # hyphens are not forgiven
    "S70.1AA",
    "S70 1A",                        # inward too short
    "S70 1AAA",
    "S70 AAA",                       # inward must start with a digit
    "S70 1CA",                       # C, I, K, M, O, V never in the inward code
    "S70 1AI",
    "S70 1KA",
    "S70 1AM",
    "S70 1OA",
    "S70 1AV",
    "1S70 1AA",                      # outward must start with a letter
    "SSS0 1AA",
    "S700 1AA",                      # A999 is not an outward pattern
    "S7AA 1AA",
    "SW1AA 1AA",
    "A1",                            # an outcode alone is not a postcode
    "SW1A",
    "S70 1AA extra",                 # too long (over 10 characters once trimmed)
    "S70 1AA S70 1AA",
    "<script>alert(1)</script>",
    "S70 1AA'; DROP TABLE postcodes;--",
    "' OR 1=1 --",
    "<b>S70</b>",
    "S70%201AA",
    "ſ70 1AA",                       # "ſ".upper() is "S": only ASCII letters count
    "S７0 1AA",                      # a full-width digit
    "S70\u00a01AA\u00a0\u00a0\u00a0\u00a0",
])
def test_invalid_postcodes_are_refused(typed):
    with pytest.raises(InvalidPostcode):
        normalise_postcode(typed)


def test_input_longer_than_ten_characters_is_refused_even_if_only_spaces_inside():
    with pytest.raises(InvalidPostcode, match="too long"):
        normalise_postcode("S70      1AA")  # 12 characters once trimmed


@pytest.mark.parametrize("typed", [None, 701, b"S70 1AA"])
def test_non_strings_are_refused(typed):
    with pytest.raises(InvalidPostcode):
        normalise_postcode(typed)


def test_messages_are_plain_english_and_do_not_echo_the_input():
    for typed in ["<script>alert(1)</script>", "S70 1CA", "S70-1AA", "Q", "1S70 1AA", "S70 1AA'; DROP"]:
        with pytest.raises(InvalidPostcode) as caught:
            normalise_postcode(typed)
        message = str(caught.value)
        assert message and message[0].isupper() and message.endswith(".")
        assert "<" not in message and "DROP" not in message and "-1AA" not in message
        assert "S70 1AA" in message or "postcode" in message


def test_invalid_postcode_is_a_value_error():
    assert issubclass(InvalidPostcode, ValueError)


def test_message_for_the_inward_code_names_the_excluded_letters():
    with pytest.raises(InvalidPostcode, match="C, I, K, M, O or V"):
        normalise_postcode("S70 1CA")


@pytest.mark.parametrize("postcode, outcode", [
    ("S70 1AA", "S70"), ("s701aa", "S70"), ("SW1A 1AA", "SW1A"), ("B1 1AA", "B1"), ("GIR 0AA", "GIR"),
])
def test_outcode_of(postcode, outcode):
    assert outcode_of(postcode) == outcode


def test_outcode_of_refuses_what_is_not_a_postcode():
    with pytest.raises(InvalidPostcode):
        outcode_of("S70")


@pytest.mark.parametrize("typed, expected", [
    ("S70 1AA", ("S70", "S70 1AA")),
    ("s701aa", ("S70", "S70 1AA")),
    (" sw1a 1aa ", ("SW1A", "SW1A 1AA")),
    ("S70", ("S70", None)),
    ("s70", ("S70", None)),
    (" sw1a ", ("SW1A", None)),
    ("B1", ("B1", None)),
    ("W1A", ("W1A", None)),
    ("EC1A", ("EC1A", None)),
    ("DN55", ("DN55", None)),
    ("GIR 0AA", ("GIR", "GIR 0AA")),
    ("gir", ("GIR", None)),
])
def test_parse_postcode_or_outcode(typed, expected):
    assert parse_postcode_or_outcode(typed) == expected


@pytest.mark.parametrize("typed", [
    "", "S", "7", "S7A0", "SW1AA", "S700", "S70-", "S70 1", "S70 1A", "S70 1CA", "ABC", "<S70>",
    "S70; --", "S70 1AA 1", "sw1a-1aa",
])
def test_parse_postcode_or_outcode_refuses_the_rest(typed):
    with pytest.raises(InvalidPostcode):
        parse_postcode_or_outcode(typed)
