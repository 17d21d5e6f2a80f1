"""The generated form served over HTTP (the administrator's preview): accessible markup,
errors next to their fields, rows added and removed without JavaScript, CSRF enforced."""
import re

from tests.conftest import make_app

SITHS = "/forhandsgranska/bestallning-av-siths-kort"
ROW = {
    "personer-0-namn": "Tolvan Tolvansson",
    "personer-0-personnummer": "19121212-1212",
    "personer-0-epost": "tolvan@example.se",
    "personer-0-kortutlamningskontor": "uppsala",
}


def labels_for(html: str) -> set:
    return set(re.findall(r'<label for="([^"]+)"', html))


def input_ids(html: str) -> set:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)) - {"csrf_token"}


def test_index_lists_the_case_types(client):
    html = client.get("/forhandsgranska/").get_data(as_text=True)
    assert "Beställning av SITHS-kort" in html and "Övrigt" in html


def test_siths_form_has_the_guide_labels_and_every_input_a_label(client):
    response = client.get(SITHS)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("För- och efternamn", "Personnummer (ÅÅÅÅMMDDXXXX)", "E-postadress", "Övrig information",
                 "Vilket kortutlämningskontor ska SITHS-kortet hämtas ut på?", "Eget kortkontor",
                 "Välj ett alternativ", "Lägg till ny rad", "Ta bort"):
        assert text in html, text
    ids = {i for i in input_ids(html) if "__index__" not in i}
    assert ids and ids <= labels_for(html)
    assert '<th scope="col">' in html


def test_errors_are_shown_next_to_fields_and_linked(client):
    data = {**ROW, "personer-0-personnummer": "19121212-1213", "personer-0-kortutlamningskontor": ""}
    html = client.post(SITHS, data=data).get_data(as_text=True)
    assert 'href="#personer-0-personnummer"' in html
    assert 'id="personer-0-personnummer-error"' in html
    field = re.search(r'<input[^>]*id="personer-0-personnummer"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="personer-0-personnummer-error"' in field
    assert 'value="19121212-1213"' in field  # what was typed is still there
    assert "Kontrollsiffran stämmer inte. Kontrollera personnumret." in html
    assert "Välj ett kortutlämningskontor, eller kryssa i Eget kortkontor." in html
    assert 'value="Tolvan Tolvansson"' in html


def test_a_valid_post_shows_the_canonical_document(client):
    html = client.post(SITHS, data=ROW).get_data(as_text=True)
    assert "Formuläret är giltigt" in html
    assert "&#34;personnummer&#34;: &#34;191212121212&#34;" in html or '"personnummer": "191212121212"' in html


def test_rows_are_added_and_removed_without_javascript(client):
    html = client.post(SITHS, data={**ROW, "action": "add:personer"}).get_data(as_text=True)
    assert 'name="personer-1-personnummer"' in html
    assert "Formuläret innehåller fel" not in html  # a row action validates nothing
    second = {**ROW, "personer-1-namn": "Andra", "personer-1-personnummer": "", "personer-1-epost": "",
              "personer-1-kortutlamningskontor": "", "personer-1-_row": ""}
    html = client.post(SITHS, data={**second, "action": "remove:personer-0"}).get_data(as_text=True)
    assert 'value="Andra"' in html and "Tolvan" not in html
    assert 'name="personer-1-namn"' not in html


def test_a_row_of_unticked_boxes_survives_thanks_to_the_marker(client):
    data = {**ROW, "personer-1-_row": "", "action": "add:personer"}
    html = client.post(SITHS, data=data).get_data(as_text=True)
    assert 'name="personer-2-personnummer"' in html


def test_hostile_input_is_escaped(client):
    payload = '"><script>alert(1)</script>{{7*7}}'
    html = client.post(SITHS, data={**ROW, "personer-0-namn": payload}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "{{7*7}}" in html or "{{7*7}}".replace("{", "&#123;") in html
    assert ">49<" not in html


def test_unknown_case_type_is_404(client):
    assert client.get("/forhandsgranska/finns-inte").status_code == 404


def test_preview_is_off_unless_configured(sqlite_url):
    client = make_app(sqlite_url, form_preview=False).test_client()
    assert client.get(SITHS).status_code == 404


def test_posts_without_csrf_token_are_refused(csrf_app):
    client = csrf_app.test_client()
    assert client.post(SITHS, data=ROW).status_code == 400
    html = client.get(SITHS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(SITHS, data={**ROW, "csrf_token": token}).status_code == 200
    other = csrf_app.test_client()
    other.get(SITHS)
    assert other.post(SITHS, data={**ROW, "csrf_token": token}).status_code == 400


def test_security_headers_are_set(client):
    response = client.get(SITHS)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_oversized_bodies_are_refused(client):
    response = client.post(SITHS, data={"personer-0-namn": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
