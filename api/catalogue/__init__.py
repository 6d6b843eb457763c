"""The catalogue of vetted apps: manifests, the vetting workflow, the public listing."""
