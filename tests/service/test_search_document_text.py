"""The text inside a document is searchable: a PDF uploaded through the gateway is read by
the documents service (its extraction timer, a capped process), its text travels in
``documents.document_text_extracted`` and the search service indexes it; a person finds
the PDF by a word inside through ``GET /api/v1/search``, a new version's words replace the
old ones, a deletion takes it out. Identity, communities, feed, documents and search on the
real RabbitMQ, nothing mocked (the fixture is ``test_search_gateway``'s).
"""

from test_gateway import API, write
from test_search_gateway import found, network, search  # noqa: F401  (network: the fixture)

from tests.support import wait_until
from tests.unit.documents import samples

#: the first page of the procedure (a real PDF, made by the test)
PAGE_ONE = "Réparation des pare-chocs : poncer, appliquer l'apprêt, puis peindre."
PAGE_TWO = "Les livraisons de pare-chocs sont retardées jusqu'à lundi."


def upload(client, cid, name, data, document_id=None):
    if document_id is None:
        url, args = f"{API}/communities/{cid}/documents", {"name": name}
    else:
        url, args = f"{API}/documents/{document_id}/versions", {"name": name}
    response = write(
        client,
        "POST",
        url,
        query_string=args,
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def test_a_pdf_is_found_by_a_word_inside_and_its_versions_and_deletion_reach_the_index(network):
    app, people, clients, cid = network
    louise, olivia, eve = clients["louise"], clients["olivia"], clients["eve"]
    document = upload(louise, cid, "procedure-carrosserie.pdf", samples.pdf([PAGE_ONE, PAGE_TWO]))
    # a word of the second page, in another form and without its accent
    wait_until(lambda: found(olivia, "livraison retardee") == [document["id"]], timeout=60)
    (hit,) = search(olivia, "livraison retardee")["items"]
    assert hit["kind"] == "document" and hit["title"] == "procedure-carrosserie.pdf"
    assert hit["language"] == "fr"
    # the snippet shows the matched text, each matching word as a range of it
    words = [hit["snippet"][start:end] for start, end in hit["highlights"]]
    assert words == ["livraisons", "retardées"]
    assert found(eve, "livraison retardee") == []  # not a member: nothing
    assert found(olivia, "pare-chocs poncer") == [document["id"]]  # the first page too

    # a new version: its words come, the old ones go
    upload(
        louise, cid, "procedure-carrosserie.pdf", samples.pdf(["Windscreen seal replacement"]), document["id"]
    )
    wait_until(lambda: found(olivia, "windscreen seal") == [document["id"]], timeout=60)
    assert found(olivia, "livraison retardee") == []

    deleted = write(louise, "DELETE", f"{API}/documents/{document['id']}")
    assert deleted.status_code in (200, 204), deleted.get_data(as_text=True)
    wait_until(lambda: found(olivia, "windscreen seal") == [], timeout=30)
