"""Module text to HTML: Markdown, then nh3 keeps only a small set of tags and safe links, so a
programme's author can never put script or raw HTML on a learner's page."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "code", "blockquote", "br"}


def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=[], output_format="html")
    return mark_safe(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"https", "http", "mailto"},
            link_rel="noopener noreferrer",
        )
    )
