"""First-party plugins, each a package registered under the `espace.plugins`
entry point. The plugin interface (api/plugins.py) comes with its own issue;
until then this package is empty on purpose."""
