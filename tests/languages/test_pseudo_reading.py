"""How the pseudo-language crawl reads a page: what counts as translated and what does not."""

from tests.languages.pseudo import untranslated


def test_a_message_inside_another_is_translated_text():
    html = "<p>⟪Version 2, published 3 ⟪December⟫ 2026. In the register since 4 ⟪May⟫ 2025.⟫</p>"
    assert untranslated(html, [], set()) == []


def test_a_word_outside_the_markers_is_found_even_beside_nested_ones():
    html = "<p>⟪⟪Approved⟫: now ⟪Active⟫⟫ by hand</p>"
    assert untranslated(html, [], set()) == ["by hand"]


def test_machine_text_is_no_language():
    html = "<pre><code>python3 verify_ledger.py fr-ledger-1-1.zip</code></pre><p>FR-5-64920bcaeb10ce333c83</p>"
    assert untranslated(html, [], set()) == []


def test_data_and_allowed_words_are_not_flagged_but_english_labels_are():
    html = "<td>Marcus Webb</td><td>December</td><td>Country admin</td>"
    assert untranslated(html, ["Marcus Webb"], {"December"}) == ["Country admin"]


def test_content_declared_in_another_language_is_not_the_pages_text():
    html = (
        '<html lang="qps"><body><p>⟪Where it comes from⟫</p>'
        '<ul lang="en"><li>Regulation (EU) 2016/679, Art. 5</li></ul>'
        "<p>Not declared, not translated</p></body></html>"
    )
    assert untranslated(html, [], set()) == ["Not declared, not translated"]


def test_an_element_in_the_pages_own_language_is_read():
    html = '<html lang="qps"><body><div lang="qps"><p>Plain English</p></div><br><p>⟪Fine⟫</p></body></html>'
    assert untranslated(html, [], set()) == ["Plain English"]
