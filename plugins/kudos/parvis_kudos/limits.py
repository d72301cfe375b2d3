"""The limits of a thank-you, written once: the model, the service's schema and the
gateway's schema read them from here."""

#: a thank-you's message, in characters
MESSAGE_MIN = 1
MESSAGE_MAX = 280
#: kudos shown on a profile before "see all"
PANEL_SIZE = 5
