-- Knowledge tables: tenant row-level security and the application role's grants, as in 0001_security.sql.
-- Article versions are history: the application may add them but never change or remove them.
GRANT SELECT, INSERT, UPDATE, DELETE ON spaces, categories, tags, article_tags, article_relations, article_attachments TO warden_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON article_versions TO warden_app;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['spaces','categories','tags','article_tags','article_relations','article_attachments','article_versions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT warden_current_tenant())) WITH CHECK (tenant_id = (SELECT warden_current_tenant()))',
      t);
  END LOOP;
END
$$;
--> statement-breakpoint
-- Existing articles (written before this migration) become version 1 of their history; their search
-- vectors are filled at start-up by the application, which owns the Chinese word segmenter.
INSERT INTO article_versions (tenant_id, article_id, version, change, changed_fields, title, body, internal_notes, classification, status, kind, edited_by, created_at)
SELECT tenant_id, id, 1, 'CREATED', ARRAY['title','body','internalNotes','classification','status','kind'], title, body, internal_notes, classification, status, kind, author_id, created_at
FROM articles;
