"""`country|country_name`: a country's name in the reader's language, for a Country or a row
read as a dict ({"code": …, "name": …}). A built-in of the templates (settings.TEMPLATES)."""

from django import template

from tenants.country_names import country_display_name

register = template.Library()


@register.filter
def country_name(country) -> str:
    if country is None or country == "":
        return ""
    if isinstance(country, dict):
        return country_display_name(country.get("code"), country.get("name", ""))
    return country_display_name(getattr(country, "code", None), getattr(country, "name", str(country)))
