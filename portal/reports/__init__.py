"""Compliance reports: sections read from every app, written as CSV, JSON and XLSX, bundled in a
signed zip that verifies offline."""
