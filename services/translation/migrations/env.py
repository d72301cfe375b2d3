from parvis_contracts.migrations import run_env
from services.translation.models import metadata

run_env(metadata)
