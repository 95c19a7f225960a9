from django.utils import translation

from respite.core.text import language, tr

HELLO = {"en": "Hello", "es": "Hola"}


def test_language_is_english_or_spanish_in_two_letters():
    assert language("es-MX") == "es"
    assert language("ES") == "es"
    assert language("en-us") == "en"
    assert language("fr") == "en"
    assert language("") in ("en", "es")


def test_language_follows_the_active_translation():
    with translation.override("es"):
        assert language() == "es" and language(None) == "es"
    with translation.override("en"):
        assert language() == "en"


def test_tr_picks_the_readers_text_and_falls_back_to_english():
    assert tr(HELLO, "es") == "Hola"
    assert tr(HELLO, "es-419") == "Hola"
    assert tr({"en": "Hello", "es": ""}, "es") == "Hello"
    assert tr(HELLO, "de") == "Hello"
    with translation.override("es"):
        assert tr(HELLO) == "Hola"
