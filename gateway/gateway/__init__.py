"""The API gateway: authentication (verifies identity's tokens), authorisation
at the edge, the `/api/v1` REST API with its OpenAPI document, `/metrics` and
`/healthz`. It holds no data; every request is answered by a service over RPC."""
