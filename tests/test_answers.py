"""extractors.answers.what_it_is: the phrase a one-line error gives for what a remote answered instead."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.answers import what_it_is


@pytest.mark.parametrize("data, phrase", [
    (b"<!DOCTYPE html><html><head><title>Maintenance</title>", "an HTML page"),
    (b"\n  <html lang='de'><body>503</body></html>", "an HTML page"),
    (b'<?xml version="1.0"?><error>busy</error>', "XML"),
    (b'{"error": {"error_code": 5}}', "JSON"),
    (b"  [1, 2]", "JSON"),
    (b"", "nothing"),
    (b"   \n", "nothing"),
    (b"\x00\xff\xfe binary", "something else"),
    (b"urlkey timestamp original", "something else"),
])
def test_an_answer_is_named_by_its_first_bytes(data, phrase):
    assert what_it_is(data) == phrase


@given(st.binary(max_size=2048))
def test_any_bytes_get_one_of_the_phrases(data):
    assert what_it_is(data) in {"an HTML page", "JSON", "XML", "nothing", "something else"}
