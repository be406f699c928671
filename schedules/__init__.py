"""The nightly run, the `dossier` command line and change alerts: the layer that drives all the others."""
