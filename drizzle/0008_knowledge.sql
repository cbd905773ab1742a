CREATE TABLE "article_attachments" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"article_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"sha256" text NOT NULL,
	"uploaded_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "article_attachments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "article_relations" (
	"tenant_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"related_id" uuid NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "article_relations_tenant_id_article_id_related_id_pk" PRIMARY KEY("tenant_id","article_id","related_id")
);
--> statement-breakpoint
CREATE TABLE "article_tags" (
	"tenant_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"tag_id" uuid NOT NULL,
	CONSTRAINT "article_tags_tenant_id_article_id_tag_id_pk" PRIMARY KEY("tenant_id","article_id","tag_id")
);
--> statement-breakpoint
CREATE TABLE "article_versions" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"article_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"change" text NOT NULL,
	"changed_fields" text[] DEFAULT '{}' NOT NULL,
	"restored_from" integer,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"internal_notes" text,
	"classification" text NOT NULL,
	"status" text NOT NULL,
	"kind" text NOT NULL,
	"space_id" uuid,
	"category_id" uuid,
	"owner_team_id" uuid,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"edited_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "article_versions_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "article_versions_number_key" UNIQUE("tenant_id","article_id","version")
);
--> statement-breakpoint
CREATE TABLE "categories" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"space_id" uuid NOT NULL,
	"parent_id" uuid,
	"name" text NOT NULL,
	"default_classification" text DEFAULT 'INTERNAL' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "categories_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "categories_space_id_key" UNIQUE("tenant_id","space_id","id")
);
--> statement-breakpoint
CREATE TABLE "spaces" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"default_classification" text DEFAULT 'INTERNAL' NOT NULL,
	"owner_team_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "spaces_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "spaces_tenant_key_key" UNIQUE("tenant_id","key")
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"tenant_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tags_tenant_id_id_pk" PRIMARY KEY("tenant_id","id"),
	CONSTRAINT "tags_tenant_name_key" UNIQUE("tenant_id","name")
);
--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "kind" text DEFAULT 'FAQ' NOT NULL;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "space_id" uuid;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "category_id" uuid;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "owner_team_id" uuid;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "search_vector" "tsvector";--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "search_body" text;--> statement-breakpoint
ALTER TABLE "article_attachments" ADD CONSTRAINT "article_attachments_tenant_id_article_id_articles_tenant_id_id_fk" FOREIGN KEY ("tenant_id","article_id") REFERENCES "public"."articles"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_attachments" ADD CONSTRAINT "article_attachments_tenant_id_uploaded_by_users_tenant_id_id_fk" FOREIGN KEY ("tenant_id","uploaded_by") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_relations" ADD CONSTRAINT "article_relations_tenant_id_article_id_articles_tenant_id_id_fk" FOREIGN KEY ("tenant_id","article_id") REFERENCES "public"."articles"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_relations" ADD CONSTRAINT "article_relations_tenant_id_related_id_articles_tenant_id_id_fk" FOREIGN KEY ("tenant_id","related_id") REFERENCES "public"."articles"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_tags" ADD CONSTRAINT "article_tags_tenant_id_article_id_articles_tenant_id_id_fk" FOREIGN KEY ("tenant_id","article_id") REFERENCES "public"."articles"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_tags" ADD CONSTRAINT "article_tags_tenant_id_tag_id_tags_tenant_id_id_fk" FOREIGN KEY ("tenant_id","tag_id") REFERENCES "public"."tags"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_versions" ADD CONSTRAINT "article_versions_tenant_id_article_id_articles_tenant_id_id_fk" FOREIGN KEY ("tenant_id","article_id") REFERENCES "public"."articles"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "article_versions" ADD CONSTRAINT "article_versions_tenant_id_edited_by_users_tenant_id_id_fk" FOREIGN KEY ("tenant_id","edited_by") REFERENCES "public"."users"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_tenant_id_space_id_spaces_tenant_id_id_fk" FOREIGN KEY ("tenant_id","space_id") REFERENCES "public"."spaces"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_parent_fk" FOREIGN KEY ("tenant_id","space_id","parent_id") REFERENCES "public"."categories"("tenant_id","space_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spaces" ADD CONSTRAINT "spaces_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "spaces" ADD CONSTRAINT "spaces_tenant_id_owner_team_id_teams_tenant_id_id_fk" FOREIGN KEY ("tenant_id","owner_team_id") REFERENCES "public"."teams"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "article_attachments_article_idx" ON "article_attachments" USING btree ("tenant_id","article_id","created_at");--> statement-breakpoint
CREATE INDEX "article_tags_tag_idx" ON "article_tags" USING btree ("tenant_id","tag_id");--> statement-breakpoint
CREATE INDEX "categories_page_idx" ON "categories" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "categories_parent_idx" ON "categories" USING btree ("tenant_id","space_id","parent_id");--> statement-breakpoint
CREATE INDEX "spaces_page_idx" ON "spaces" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "tags_page_idx" ON "tags" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_tenant_id_space_id_spaces_tenant_id_id_fk" FOREIGN KEY ("tenant_id","space_id") REFERENCES "public"."spaces"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_category_fk" FOREIGN KEY ("tenant_id","space_id","category_id") REFERENCES "public"."categories"("tenant_id","space_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_tenant_id_owner_team_id_teams_tenant_id_id_fk" FOREIGN KEY ("tenant_id","owner_team_id") REFERENCES "public"."teams"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "articles_category_idx" ON "articles" USING btree ("tenant_id","category_id","created_at","id");--> statement-breakpoint
CREATE INDEX "articles_search_idx" ON "articles" USING gin ("search_vector");--> statement-breakpoint
ALTER TABLE "articles" ADD CONSTRAINT "articles_category_needs_space" CHECK ("articles"."category_id" is null or "articles"."space_id" is not null);