"""The limits and weights of the search service, written once."""

from parvis_contracts import limits

#: what the index holds, one row each (documents by their name only, for now)
KINDS = ("post", "comment", "page", "document")

#: the languages stemmed, by their ISO 639-1 code (the Snowball algorithm of each); a text
#: in any other language, or of no known language, is indexed folded but not stemmed
STEMMERS = {
    "fr": "french",
    "en": "english",
    "es": "spanish",
    "de": "german",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
    "ca": "catalan",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "nb": "norwegian",
    "fi": "finnish",
    "ro": "romanian",
}
#: how a text of another language, or of none, is stemmed: not at all (its words folded)
UNSTEMMED = "none"

# --- the query a person types --------------------------------------------------------

#: characters of a query (beyond: 422, not a truncation the person would not see)
QUERY_MAX_CHARS = 200
#: words of a query, phrases and exclusions included (beyond: 422)
QUERY_MAX_WORDS = 16

# --- what is indexed --------------------------------------------------------------------

#: a longer token is no word anyone types (a hash, base64): not indexed
TOKEN_MAX_CHARS = 64
#: characters of a text read for its terms (a page's body is at most PAGE_BODY_MAX)
TEXT_INDEXED_MAX = limits.PAGE_BODY_MAX

# --- ranking (the same factors on both engines) ------------------------------------------

#: a match in a title (a page's, a document's name) counts this many times a match in a body
TITLE_WEIGHT = 4.0
#: the accepted answer of a question, found by a query, comes before other replies
ACCEPTED_BOOST = 2.0
#: a title that is exactly the query's words comes first
EXACT_TITLE_BOOST = 3.0

# --- results -----------------------------------------------------------------------------

PAGE_MAX = 100
#: characters of a hit's snippet around its first match
SNIPPET_CHARS = 200
#: how the match is marked in a snippet: two code points of Unicode's private use area,
#: taken out of every indexed text, so only the service writes them (the gateway escapes
#: the snippet, then turns each pair into its highlighting)
MARK_START = "\ue000"
MARK_END = "\ue001"
#: what stands for the text cut off before or after a snippet
ELLIPSIS = "…"
