from parvis_contracts.migrations import run_env
from services.documents.models import metadata

run_env(metadata)
