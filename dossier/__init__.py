"""Dossier's shared core: the error hierarchy and the configuration schema used by every layer."""
