"""The staff console: server-rendered pages (Jinja2, plain forms, a little own JavaScript) over the
same domain services as the API. Chinese by default, English a click away."""
