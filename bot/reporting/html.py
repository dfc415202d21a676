"""Render the report as one self-contained HTML page with the charts embedded as base64 PNGs."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape

from bot.reporting.blocks import Block, Bullets, Chart, Heading, Para, Table

_STYLE = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#212529}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em}th,td{border:1px solid #dee2e6;padding:.3em .6em;
text-align:left;vertical-align:top}th{background:#f1f3f5}img{max-width:100%}h2{margin-top:1.6em}"""


def to_html(blocks: Sequence[Block], charts: Mapping[str, bytes], title: str) -> str:
    """Serialise blocks as an HTML page; every cell and text is escaped."""
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body>"]
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            parts.append(f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Bullets):
            parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
            body = "".join("<tr>" + "".join(f"<td>{escape(c.strip())}</td>" for c in row) + "</tr>"
                           for row in block.rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(block, Chart) and block.key in charts:
            data = base64.b64encode(charts[block.key]).decode("ascii")
            parts.append(f'<p><img alt="{escape(block.alt)}" src="data:image/png;base64,{data}"></p>')
    parts.append("</body></html>\n")
    return "\n".join(parts)
