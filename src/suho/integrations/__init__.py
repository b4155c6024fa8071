"""suho inside other evaluation tools (UK AISI's Inspect first: ``suho.integrations.inspect``)."""
