"""What a LangGraph server loads (`served`): the auth handler (`auth`) and the request boundary
(`boundary`), the ASGI middleware that checks every request before any route."""
