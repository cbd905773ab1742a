import type { Resolvers } from '../../__generated__/resolvers-types';
import { decodeTaggedCursor, encodeTaggedCursor } from '../../lib/cursor';
import { idOf, toGlobalId } from '../../lib/global-id';
import { parsePage } from '../../lib/pagination';
import type { RequestContext } from '../../server/context';
import { articleById, articlePage, createArticle, editArticle, restoreVersion } from './article.service';
import { addAttachment, removeAttachment, setRelatedArticles } from './links.service';
import { moveArticle } from './workflow.service';

const orNull = <T>(p: Promise<T | undefined>) => p.then((v) => v ?? null);
const load = <T>(id: string | null, loader: { load(id: string): Promise<T | undefined> }) => (id ? orNull(loader.load(id)) : null);

/** Article.versions: a page per article through one LATERAL statement for all articles of the request. */
async function versionConnection(ctx: RequestContext, articleId: string, args: { first?: number | null; after?: string | null }) {
  const { limit } = parsePage({ first: args.first });
  const before = args.after ? (decodeTaggedCursor(args.after, 'version', ['int'])[0] as number) : null;
  const rows = await ctx.loaders.versionsOfArticle.load({ parentId: articleId, page: { limit, before } });
  const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeTaggedCursor('version', [node.version]), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

export const articleResolvers: Resolvers = {
  Query: {
    articles: (_, args, ctx) => articlePage(ctx, args),
    article: (_, { id }, ctx) => articleById(ctx, idOf(id, 'Article')),
  },
  Mutation: {
    createArticle: (_, { input }, ctx) => createArticle(ctx, input),
    updateArticle: (_, { input }, ctx) => editArticle(ctx, input),
    restoreArticleVersion: (_, { id }, ctx) => restoreVersion(ctx, id),
    submitArticleForReview: (_, { id }, ctx) => moveArticle(ctx, id, 'submit'),
    publishArticle: (_, { id }, ctx) => moveArticle(ctx, id, 'publish'),
    archiveArticle: (_, { id }, ctx) => moveArticle(ctx, id, 'archive'),
    returnArticleToDraft: (_, { id }, ctx) => moveArticle(ctx, id, 'returnToDraft'),
    setRelatedArticles: (_, { input }, ctx) => setRelatedArticles(ctx, input),
    addArticleAttachment: (_, { input }, ctx) => addAttachment(ctx, input),
    removeArticleAttachment: (_, { id }, ctx) => removeAttachment(ctx, id),
  },
  Article: {
    id: (a) => toGlobalId('Article', a.id),
    // A list's rows come without the body; the first body asked for loads the page's bodies together.
    body: async (a, _, ctx) => (a.body !== undefined ? a.body : ((await ctx.loaders.articleBody.load(a.id))?.body ?? null)),
    internalNotes: (a) => a.internalNotes,
    author: (a, _, ctx) => load(a.authorId, ctx.loaders.user),
    space: (a, _, ctx) => load(a.spaceId, ctx.loaders.space),
    category: (a, _, ctx) => load(a.categoryId, ctx.loaders.category),
    ownerTeam: (a, _, ctx) => load(a.ownerTeamId, ctx.loaders.team),
    tags: (a, _, ctx) => ctx.loaders.tagsOfArticle.load(a.id),
    related: (a, _, ctx) => ctx.loaders.relatedOfArticle.load(a.id),
    attachments: (a, _, ctx) => ctx.loaders.attachmentsOfArticle.load(a.id),
    latestVersion: (a, _, ctx) => orNull(ctx.loaders.latestVersion.load(a.id)),
    versions: (a, args, ctx) => versionConnection(ctx, a.id, args),
  },
  ArticleVersion: {
    id: (v) => toGlobalId('ArticleVersion', v.id),
    internalNotes: (v) => v.internalNotes,
    article: (v, _, ctx) => orNull(ctx.loaders.article.load(v.articleId)),
    space: (v, _, ctx) => load(v.spaceId, ctx.loaders.space),
    category: (v, _, ctx) => load(v.categoryId, ctx.loaders.category),
    ownerTeam: (v, _, ctx) => load(v.ownerTeamId, ctx.loaders.team),
    editedBy: (v, _, ctx) => load(v.editedBy, ctx.loaders.user),
  },
  Attachment: {
    id: (a) => toGlobalId('Attachment', a.id),
    uploadedBy: (a, _, ctx) => load(a.uploadedBy, ctx.loaders.user),
  },
};
