"""Frameworks as data (docs/frameworks.md): reading YAML with the line of every value
(`reading`), the portal's own framework format (`portal_format`), CISO Assistant's library
format (`ciso_assistant`), and loading them into the database in one transaction, by version
(`loading`). The frameworks the programme ships are YAML files in `library/`."""
