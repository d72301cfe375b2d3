"""The search service: one box that finds posts, answers, pages and documents, in their own
languages, never showing anyone what they may not read (docs/services/search.md)."""
