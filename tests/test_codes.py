"""Voucher codes (API.md): 60 random bits, a check character, forgiving input, every typo caught."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.giving import codes

bodies = st.text(alphabet=codes.ALPHABET, min_size=codes.BODY_LENGTH, max_size=codes.BODY_LENGTH)


def _with_check(body: str) -> str:
    return body + codes.check_character(body)


def test_generated_codes_have_the_documented_shape():
    code = codes.generate()
    assert len(code) == 13 and set(code) <= set(codes.ALPHABET)
    assert codes.format_code(code) == f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12]}"
    assert len(set(codes.generate_many(2000))) == 2000


@given(bodies)
def test_format_then_normalise_round_trips(body):
    code = _with_check(body)
    assert codes.normalise(codes.format_code(code)) == code


@given(bodies, st.sampled_from([str.lower, str.upper]), st.sampled_from(["", " ", "-", "  -  "]))
def test_input_is_forgiving(body, case, separator):
    code = _with_check(body)
    typed = separator.join(code[i:i + 4] for i in range(0, 13, 4))
    typed = case(typed).replace("0", "O").replace("1", "l")
    assert codes.normalise(typed) == code


@given(bodies)
def test_a_scanned_voucher_url_reads_as_its_code(body):
    code = _with_check(body)
    assert codes.normalise(f"https://shop.example/v/{codes.format_code(code)}?utm=x") == code


@given(bodies)
def test_every_single_changed_character_is_caught(body):
    code = _with_check(body)
    for position in range(len(code)):
        for replacement in codes.ALPHABET:
            if replacement != code[position]:
                typo = code[:position] + replacement + code[position + 1:]
                assert not codes.is_valid(typo), typo


@given(bodies)
def test_every_swap_of_different_neighbours_is_caught(body):
    code = _with_check(body)
    for position in range(len(code) - 1):
        if code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
            assert not codes.is_valid(swapped), swapped


@pytest.mark.parametrize("typed, says", [("", "Enter a voucher code"), ("ABC", "13 characters"),
                                         ("ABCD-EFGH-JKMN-U", "no 'U'"), ("0000-0000-0000-1", "mistyped")])
def test_bad_input_says_what_is_wrong(typed, says):
    with pytest.raises(codes.CodeError, match=says) as error:
        codes.normalise(typed)
    assert error.value.code == "invalid_code"
