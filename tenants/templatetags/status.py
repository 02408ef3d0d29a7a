"""Status tags coloured by what the state means (the table is tenants/status_tags.py):

{% load status %}
<strong class="govuk-tag {{ item.state|tag_colour }}">{{ item.get_state_display }}</strong>
<strong class="govuk-tag {{ incident.status|tag_colour:'incident' }}">…</strong>
"""

from django import template

from tenants.status_tags import tag_class

register = template.Library()


@register.filter
def tag_colour(state, kind: str = "") -> str:
    return tag_class(state, kind=kind or "")
