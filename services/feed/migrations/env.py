from parvis_contracts.migrations import run_env
from services.feed.models import metadata

run_env(metadata)
