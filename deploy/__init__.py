"""Serving a class on several replicas behind nginx: nginx.conf and compose.yaml for production,
`python -m deploy.local` to run the same on this machine."""
