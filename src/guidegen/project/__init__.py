"""Reading what a clinic keeps: strict YAML, schemas, settings, vocabulary, profiles, modules and
theme, checked once and loaded as one `Project`."""
