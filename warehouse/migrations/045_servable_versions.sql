-- Whether the platform's own scorer (src/mojo, no JVM) can serve a version's MOJO, checked when the
-- version is registered; NULL for versions registered before the check existed. An unservable
-- version is never promoted unless the promotion says so (allowUnservable).
ALTER TABLE registry.model_versions ADD COLUMN IF NOT EXISTS servable boolean;
ALTER TABLE registry.model_versions ADD COLUMN IF NOT EXISTS serving_problem text;
