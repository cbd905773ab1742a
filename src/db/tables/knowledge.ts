import { sql } from 'drizzle-orm';
import { bigint, check, customType, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { tenantColumns, timestamps } from './columns';
import { tenants } from './tenants';
import { teams, users } from './identity';

/** PostgreSQL full-text vector, written by the application at write time (src/modules/knowledge/search-text.ts). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A knowledge space (a product line, a team's handbook) with the classification its articles default to. */
export const spaces = pgTable(
  'spaces',
  {
    ...tenantColumns(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    defaultClassification: text('default_classification').notNull().default('INTERNAL'),
    ownerTeamId: uuid('owner_team_id'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('spaces_tenant_key_key').on(t.tenantId, t.key),
    index('spaces_page_idx').on(t.tenantId, t.createdAt, t.id),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.ownerTeamId], foreignColumns: [teams.tenantId, teams.id] }),
  ],
);

/** A tree of categories inside one space; a parent is always in the same space (composite foreign key). */
export const categories = pgTable(
  'categories',
  {
    ...tenantColumns(),
    spaceId: uuid('space_id').notNull(),
    parentId: uuid('parent_id'),
    name: text('name').notNull(),
    defaultClassification: text('default_classification').notNull().default('INTERNAL'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('categories_space_id_key').on(t.tenantId, t.spaceId, t.id),
    index('categories_page_idx').on(t.tenantId, t.createdAt, t.id),
    index('categories_parent_idx').on(t.tenantId, t.spaceId, t.parentId),
    foreignKey({ columns: [t.tenantId, t.spaceId], foreignColumns: [spaces.tenantId, spaces.id] }),
    foreignKey({ name: 'categories_parent_fk', columns: [t.tenantId, t.spaceId, t.parentId], foreignColumns: [t.tenantId, t.spaceId, t.id] }),
  ],
);

export const articles = pgTable(
  'articles',
  {
    ...tenantColumns(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    /** PUBLIC, INTERNAL, CONFIDENTIAL, RESTRICTED */
    classification: text('classification').notNull().default('INTERNAL'),
    /** DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED */
    status: text('status').notNull().default('DRAFT'),
    /** FAQ, HOW_TO (操作手册), RESOLUTION (解决方案), POLICY */
    kind: text('kind').notNull().default('FAQ'),
    internalNotes: text('internal_notes'),
    authorId: uuid('author_id'),
    spaceId: uuid('space_id'),
    categoryId: uuid('category_id'),
    ownerTeamId: uuid('owner_team_id'),
    /** Number of the latest row in article_versions. */
    version: integer('version').notNull().default(1),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    /** Title (weight A), body (B) and tags (C), segmented by jieba; never internal notes. */
    searchVector: tsvector('search_vector'),
    /** The body cut into words (separated by U+001F) so ts_headline can mark Chinese words. */
    searchBody: text('search_body'),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('articles_page_idx').on(t.tenantId, t.createdAt, t.id),
    index('articles_class_idx').on(t.tenantId, t.classification, t.createdAt, t.id),
    index('articles_category_idx').on(t.tenantId, t.categoryId, t.createdAt, t.id),
    index('articles_search_idx').using('gin', t.searchVector),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
    foreignKey({ columns: [t.tenantId, t.authorId], foreignColumns: [users.tenantId, users.id] }),
    foreignKey({ columns: [t.tenantId, t.spaceId], foreignColumns: [spaces.tenantId, spaces.id] }),
    // The category is in the article's space.
    foreignKey({ name: 'articles_category_fk', columns: [t.tenantId, t.spaceId, t.categoryId], foreignColumns: [categories.tenantId, categories.spaceId, categories.id] }),
    foreignKey({ columns: [t.tenantId, t.ownerTeamId], foreignColumns: [teams.tenantId, teams.id] }),
    // MATCH SIMPLE skips the category key when space_id is null: a category needs a space.
    check('articles_category_needs_space', sql`${t.categoryId} is null or ${t.spaceId} is not null`),
  ],
);

/** Every state an article has been in: one row per create, edit, restore and workflow step. Append-only. */
export const articleVersions = pgTable(
  'article_versions',
  {
    ...tenantColumns(),
    articleId: uuid('article_id').notNull(),
    version: integer('version').notNull(),
    /** CREATED, UPDATED, RESTORED, SUBMITTED, PUBLISHED, ARCHIVED, RETURNED_TO_DRAFT */
    change: text('change').notNull(),
    changedFields: text('changed_fields').array().notNull().default([]),
    restoredFrom: integer('restored_from'),
    title: text('title').notNull(),
    body: text('body').notNull(),
    internalNotes: text('internal_notes'),
    classification: text('classification').notNull(),
    status: text('status').notNull(),
    kind: text('kind').notNull(),
    spaceId: uuid('space_id'),
    categoryId: uuid('category_id'),
    ownerTeamId: uuid('owner_team_id'),
    tags: text('tags').array().notNull().default([]),
    editedBy: uuid('edited_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('article_versions_number_key').on(t.tenantId, t.articleId, t.version),
    foreignKey({ columns: [t.tenantId, t.articleId], foreignColumns: [articles.tenantId, articles.id] }),
    foreignKey({ columns: [t.tenantId, t.editedBy], foreignColumns: [users.tenantId, users.id] }),
  ],
);

export const tags = pgTable(
  'tags',
  {
    ...tenantColumns(),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    unique('tags_tenant_name_key').on(t.tenantId, t.name),
    index('tags_page_idx').on(t.tenantId, t.createdAt, t.id),
    foreignKey({ columns: [t.tenantId], foreignColumns: [tenants.id] }),
  ],
);

export const articleTags = pgTable(
  'article_tags',
  {
    tenantId: uuid('tenant_id').notNull(),
    articleId: uuid('article_id').notNull(),
    tagId: uuid('tag_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.articleId, t.tagId] }),
    index('article_tags_tag_idx').on(t.tenantId, t.tagId),
    foreignKey({ columns: [t.tenantId, t.articleId], foreignColumns: [articles.tenantId, articles.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.tenantId, t.tagId], foreignColumns: [tags.tenantId, tags.id] }).onDelete('cascade'),
  ],
);

/** "See also" links, one direction: article -> related. */
export const articleRelations = pgTable(
  'article_relations',
  {
    tenantId: uuid('tenant_id').notNull(),
    articleId: uuid('article_id').notNull(),
    relatedId: uuid('related_id').notNull(),
    position: integer('position').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.articleId, t.relatedId] }),
    foreignKey({ columns: [t.tenantId, t.articleId], foreignColumns: [articles.tenantId, articles.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.tenantId, t.relatedId], foreignColumns: [articles.tenantId, articles.id] }).onDelete('cascade'),
  ],
);

/** Metadata of a file attached to an article; the bytes live in external storage (not built). */
export const articleAttachments = pgTable(
  'article_attachments',
  {
    ...tenantColumns(),
    articleId: uuid('article_id').notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    uploadedBy: uuid('uploaded_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('article_attachments_article_idx').on(t.tenantId, t.articleId, t.createdAt),
    foreignKey({ columns: [t.tenantId, t.articleId], foreignColumns: [articles.tenantId, articles.id] }).onDelete('cascade'),
    foreignKey({ columns: [t.tenantId, t.uploadedBy], foreignColumns: [users.tenantId, users.id] }),
  ],
);
