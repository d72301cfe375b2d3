"""The notifications service: who is told what, in the app and by e-mail."""
