from parvis_contracts.migrations import run_env
from services.agenda.models import metadata

run_env(metadata)
