import os

# Every test process signs contexts with a throw-away key, never a real one.
os.environ.setdefault("PARVIS_CONTEXT_SECRET", "test-secret-not-for-production")
# Cheap argon2 parameters keep the suite fast; production uses the library defaults.
os.environ.setdefault("PARVIS_ARGON2_PROFILE", "test")
