"""The HTTP shell: the app factory composing the API and the web pages, and the pieces both share
(service state, dependencies, cookies, sessions, rate limits and the mapping of errors to HTTP)."""
