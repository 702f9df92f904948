"""Custom Rasa 3.6 NLU components, loaded by config.yml from the project root (Rasa adds the cwd to sys.path)."""
