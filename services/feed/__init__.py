"""The feed service: posts, comments, likes, mentions, questions, announcements, timeline."""
