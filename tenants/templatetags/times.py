"""How every page shows a moment: `{{ value|moment }}`, or `{{ value|moment:"short" }}` in tables,
`{{ value|moment:"precise" }}` where seconds matter (the record). The time is in the reader's time
zone (README, Languages, time zones and numbers), in their format, followed by the zone it is in
("UTC", "UTC+01:00"), inside a <time> element that carries the exact instant."""

from django import template
from django.utils.html import format_html

register = template.Library()

STYLES = {
    "": "DATETIME_FORMAT",
    "long": "DATETIME_FORMAT",
    "short": "SHORT_DATETIME_FORMAT",
    "precise": "Y-m-d H:i:s",
    "minutes": "Y-m-d H:i",
}


@register.filter
def moment(value, style: str = ""):
    from datetime import datetime

    from tenants.languages.formatting import in_zone, long_datetime

    if not isinstance(value, datetime):
        return "" if value is None else value
    return format_html(
        '<time datetime="{}">{}</time>',
        in_zone(value).isoformat(),
        long_datetime(value, STYLES.get(style, "DATETIME_FORMAT")),
    )
