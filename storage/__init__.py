"""The dossier database: models, migrations, the run's writer and the diff. Only this package knows SQLAlchemy."""
