"""`python -m schedules ...` is `dossier ...` (the scheduler starts each run this way)."""
from schedules.cli import main

main()
