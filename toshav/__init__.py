"""The composition root: builds the app, the command line, the demo and the schema from the
manifests of the domains a deployment turns on. The only package that sees every domain."""
