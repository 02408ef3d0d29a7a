"""`{% chart spec %}`: draws a tenants.charts.Chart as an SVG figure with its table."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/chart.html")
def chart(spec, heading_level: int = 3):
    return {"chart": spec, "heading_level": heading_level}
