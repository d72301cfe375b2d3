from parvis_contracts.migrations import run_env
from services.communities.models import metadata

run_env(metadata)
