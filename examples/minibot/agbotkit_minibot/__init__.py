"""minibot: the example bot of agbotkit (mock trades only)."""
