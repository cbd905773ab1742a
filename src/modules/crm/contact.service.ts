import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { badInput, notFound } from '../../lib/errors';
import { idOf } from '../../lib/global-id';
import { email, optionalText, phone, text } from '../../lib/validate';
import type { RequestContext } from '../../server/context';
import { auditedMutation } from '../mutation';
import { CONTACT_PII, contactPiiColumns, type ContactPiiField } from './customer.pii';
import { customersByIds } from './customer.repo';
import { contactsByIds, countContacts, deleteContact, insertContact, MAX_CONTACTS_PER_CUSTOMER, updateContact, type ContactRow } from './contact.repo';
import { openForRewrite, sealForWrite } from './pii.service';

type ContactFields = { name?: string | null; title?: string | null; phone?: string | null; email?: string | null };

const validFields = (input: ContactFields) => ({
  ...(input.name != null && { name: text(input.name, 'name', { max: 100 }) }),
  ...(input.title !== undefined && { title: optionalText(input.title, 'title', { max: 100 }) }),
});

const validPii = (input: ContactFields): Partial<Record<ContactPiiField, string | null>> => ({
  ...(input.phone !== undefined && { phone: phone(input.phone) }),
  ...(input.email !== undefined && { email: email(input.email) }),
});

export async function addContact(ctx: RequestContext, input: ContactFields & { customerId: string; name: string }): Promise<ContactRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'customer.contact.add', resourceType: 'CustomerContact' }, async (tx) => {
    const customerId = idOf(input.customerId, 'Customer');
    const fields = { ...validFields(input), name: text(input.name, 'name', { max: 100 }) };
    const pii = validPii(input);
    const [customer] = await customersByIds(tx, viewer, [customerId], { lock: true });
    if (!customer) throw notFound('Customer not found', { argument: 'customerId' });
    if ((await countContacts(tx, customerId)) >= MAX_CONTACTS_PER_CUSTOMER) {
      throw badInput(`A customer has at most ${MAX_CONTACTS_PER_CUSTOMER} contacts`, { argument: 'customerId' });
    }
    const id = randomUUID();
    const sealed = await sealForWrite(ctx, tx, CONTACT_PII, viewer.tenantId, id, { phone: null, email: null, ...pii });
    const row = await insertContact(tx, { ...fields, id, tenantId: viewer.tenantId, customerId, ...contactPiiColumns(sealed) });
    return { result: { ...row, customerOwnerId: customer.ownerId, customerTeamId: customer.teamId }, resourceIds: [id, customerId] };
  });
}

export async function editContact(ctx: RequestContext, input: ContactFields & { id: string }): Promise<ContactRow> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'customer.contact.update', resourceType: 'CustomerContact' }, async (tx) => {
    const id = idOf(input.id, 'CustomerContact');
    const fields = validFields(input);
    const pii = validPii(input);
    const [current] = await contactsByIds(tx, viewer, [id], { lock: true });
    if (!current) throw notFound('Contact not found');
    const sealed = Object.keys(pii).length
      ? contactPiiColumns(
          await sealForWrite(ctx, tx, CONTACT_PII, viewer.tenantId, id, {
            ...(await openForRewrite(ctx, CONTACT_PII, 'CustomerContact', current, { phone: current.phoneCt, email: current.emailCt }, pii)),
            ...pii,
          }),
        )
      : {};
    const row = await updateContact(tx, id, { ...fields, ...sealed, updatedAt: sql`now()` as unknown as Date });
    return { result: { ...row, customerOwnerId: current.customerOwnerId, customerTeamId: current.customerTeamId }, resourceIds: [id, current.customerId], detail: { fields: [...Object.keys(fields), ...Object.keys(pii)] } };
  });
}

export async function removeContact(ctx: RequestContext, globalId: string): Promise<string> {
  const viewer = await ctx.requireViewer();
  return auditedMutation(ctx, { action: 'customer.contact.remove', resourceType: 'CustomerContact' }, async (tx) => {
    const id = idOf(globalId, 'CustomerContact');
    const [current] = await contactsByIds(tx, viewer, [id], { lock: true });
    if (!current) throw notFound('Contact not found');
    await deleteContact(tx, id);
    return { result: globalId, resourceIds: [id, current.customerId] };
  });
}
