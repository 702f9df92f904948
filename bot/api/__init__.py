"""The HTTP app: chat API, health, Rasa action endpoint, widget and demo page."""
