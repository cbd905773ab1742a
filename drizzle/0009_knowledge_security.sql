-- Knowledge tables: tenant row-level security and the application role's grants, as in 0001_security.sql.
-- Article versions are history: the application may add them but never change or remove them.
GRANT SELECT, INSERT, UPDATE, DELETE ON spaces, categories, tags, article_tags, article_relations, article_attachments TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON article_versions TO warden_app;
--> statement-breakpoint
SELECT warden_isolate_tenants(ARRAY['spaces','categories','tags','article_tags','article_relations','article_attachments','article_versions']);
--> statement-breakpoint
-- Existing articles (written before this migration) become version 1 of their history; their search
-- vectors are filled at start-up by the application, which owns the Chinese word segmenter.
INSERT INTO article_versions (tenant_id, article_id, version, change, changed_fields, title, body, internal_notes, classification, status, kind, edited_by, created_at)
SELECT tenant_id, id, 1, 'CREATED', ARRAY['title','body','internalNotes','classification','status','kind'], title, body, internal_notes, classification, status, kind, author_id, created_at
FROM articles;
