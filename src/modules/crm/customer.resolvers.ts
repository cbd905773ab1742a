import type { Resolvers } from '../../__generated__/resolvers-types';
import { idOf, toGlobalId } from '../../lib/global-id';
import type { RequestContext } from '../../server/context';
import { addContact, editContact, removeContact } from './contact.service';
import { CONTACT_PII, CUSTOMER_PII } from './customer.pii';
import { createCustomer, customerById, customerPage, customersByContact, editCustomer } from './customer.service';
import { openSealedField } from './pii.service';
import { customerTicketPage } from '../tickets/ticket.service';

const user = (ctx: RequestContext, id: string | null) => (id ? ctx.loaders.user.load(id).then((u) => u ?? null) : null);
const team = (ctx: RequestContext, id: string | null) => (id ? ctx.loaders.team.load(id).then((t) => t ?? null) : null);

export const customerResolvers: Resolvers = {
  Query: {
    customers: (_, args, ctx) => customerPage(ctx, args),
    customer: (_, { id }, ctx) => customerById(ctx, idOf(id, 'Customer')),
    customerByContact: (_, args, ctx) => customersByContact(ctx, args),
  },
  Mutation: {
    createCustomer: (_, { input }, ctx) => createCustomer(ctx, input),
    updateCustomer: (_, { input }, ctx) => editCustomer(ctx, input),
    addCustomerContact: (_, { input }, ctx) => addContact(ctx, input),
    updateCustomerContact: (_, { input }, ctx) => editContact(ctx, input),
    removeCustomerContact: (_, { id }, ctx) => removeContact(ctx, id),
  },
  // Explicit resolvers for @sensitive fields: they decrypt, and the authorization transform wraps them
  // (mask + audit), so masking always sees plaintext and a HIDDEN viewer never causes a decryption.
  Customer: {
    id: (c) => toGlobalId('Customer', c.id),
    phone: (c, _, ctx) => openSealedField(ctx, CUSTOMER_PII, { type: 'Customer', field: 'phone' }, c, c.phoneCt),
    email: (c, _, ctx) => openSealedField(ctx, CUSTOMER_PII, { type: 'Customer', field: 'email' }, c, c.emailCt),
    idNumber: (c, _, ctx) => openSealedField(ctx, CUSTOMER_PII, { type: 'Customer', field: 'idNumber' }, c, c.idNumberCt),
    address: (c, _, ctx) => openSealedField(ctx, CUSTOMER_PII, { type: 'Customer', field: 'address' }, c, c.addressCt),
    owner: (c, _, ctx) => user(ctx, c.ownerId),
    team: (c, _, ctx) => team(ctx, c.teamId),
    contacts: async (c, _, ctx) => {
      const contacts = await ctx.loaders.contactsByCustomer.load(c.id);
      for (const contact of contacts) ctx.loaders.customerContact.prime(contact.id, contact);
      return contacts;
    },
    tickets: (c, args, ctx) => customerTicketPage(ctx, c.id, args),
  },
  CustomerContact: {
    id: (c) => toGlobalId('CustomerContact', c.id),
    phone: (c, _, ctx) => openSealedField(ctx, CONTACT_PII, { type: 'CustomerContact', field: 'phone' }, c, c.phoneCt),
    email: (c, _, ctx) => openSealedField(ctx, CONTACT_PII, { type: 'CustomerContact', field: 'email' }, c, c.emailCt),
  },
};
