from parvis_contracts.migrations import run_env
from parvis_kudos.models import metadata

run_env(metadata)
