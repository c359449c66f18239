"""An example agbotkit plugin package (see README.md)."""
