"""The limits and weights of the search service, written once (what the gateway states
too is the contracts': ``parvis_contracts.limits`` and ``vocabulary``)."""

from parvis_contracts import limits, vocabulary

#: what the index holds, one row each (documents by their name only, for now)
KINDS = vocabulary.SEARCH_KINDS
#: what is written in a community (the rest: people and the communities themselves)
CONTENT_KINDS = vocabulary.SEARCH_CONTENT_KINDS
#: the row of a person has no community
NO_COMMUNITY = ""

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
QUERY_MAX_CHARS = limits.SEARCH_QUERY_MAX
#: words of a query, phrases and exclusions included (beyond: 422)
QUERY_MAX_WORDS = limits.SEARCH_QUERY_WORDS_MAX

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

PAGE_MAX = limits.SEARCH_PAGE_MAX
#: characters of a hit's snippet around its first match
SNIPPET_CHARS = 200
#: how the match is marked in a snippet: two code points of Unicode's private use area,
#: taken out of every indexed text, so only the service writes them (the gateway escapes
#: the snippet, then turns each pair into its highlighting)
MARK_START, MARK_END = vocabulary.SEARCH_MARKS
#: what stands for the text cut off before or after a snippet
ELLIPSIS = "…"

# --- the expertise finder ------------------------------------------------------------------

#: what a skill typed in the finder may be (a profile's skill: at most SKILL_MAX characters)
EXPERT_SKILL_MAX = limits.EXPERT_SKILL_MAX
EXPERTS_PAGE_MAX = limits.EXPERTS_PAGE_MAX
#: the reasons, in the order a result gives them (parvis_contracts.vocabulary)
EXPERT_REASONS = vocabulary.EXPERT_REASONS
#: the score of a declared skill: exactly the one asked, or holding every word asked
DECLARED_EXACT = 10.0
DECLARED_PARTIAL = 6.0
#: the score of each piece of evidence the viewer may read, by reason; each reason counts
#: at most EVIDENCE_COUNTED pieces (a hundred posts do not outweigh a declared skill and
#: three accepted answers by much)
EVIDENCE_WEIGHTS = {"accepted_answers": 4.0, "posts": 2.0, "pages": 2.0, "documents": 1.5, "comments": 1.0}
EVIDENCE_COUNTED = 10
#: the matching things read for the evidence, best first (a word found in more is common
#: enough that the best ones tell who knows it)
EVIDENCE_ROWS_MAX = 5000
#: the people a finder's answer is made from (those who declared the skill, then the
#: authors of the most evidence)
EXPERT_CANDIDATES_MAX = 1000

# --- skill suggestions ------------------------------------------------------------------------

SKILL_PREFIX_MAX = limits.SKILL_PREFIX_MAX
SKILL_SUGGESTIONS_MAX = limits.SKILL_SUGGESTIONS_MAX
#: the skills sharing the most trigrams with what was typed, weighed for a typo
SKILL_CANDIDATES_MAX = 200
#: the typos forgiven in what was typed: none below 3 characters, 1 up to 5, then 2
SKILL_TYPOS = ((3, 0), (6, 1), (10_000, 2))
