"""The built-in lint rules, one YAML file per rule (shipped as package data)."""
