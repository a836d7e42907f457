"""The staff web console: server-rendered Jinja2 pages with htmx, in Italian and English."""
