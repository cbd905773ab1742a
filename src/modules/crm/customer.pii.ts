import type { SealedTable, SealedValues } from '../../crypto/sealed-fields';

/** The encrypted fields of customers and of their contacts (see src/crypto/sealed-fields.ts). */
export type CustomerPiiField = 'phone' | 'email' | 'idNumber' | 'address';
export type ContactPiiField = 'phone' | 'email';

export const CUSTOMER_PII: SealedTable<CustomerPiiField> = {
  table: 'customers',
  fields: {
    phone: { column: 'phone', blind: 'phone', legacy: 'phone' },
    email: { column: 'email', blind: 'email', legacy: 'email' },
    idNumber: { column: 'id_number' },
    address: { column: 'address' },
  },
};

export const CONTACT_PII: SealedTable<ContactPiiField> = {
  table: 'customer_contacts',
  fields: {
    phone: { column: 'phone', blind: 'phone' },
    email: { column: 'email', blind: 'email' },
  },
};

/** Sealed customer fields as column values. */
export const customerPiiColumns = (s: SealedValues<CustomerPiiField>) => ({
  phoneCt: s.ciphertexts.phone,
  emailCt: s.ciphertexts.email,
  idNumberCt: s.ciphertexts.idNumber,
  addressCt: s.ciphertexts.address,
  phoneBidx: s.blindIndexes.phone ?? null,
  emailBidx: s.blindIndexes.email ?? null,
  piiKeyVersion: s.keyVersion,
});

export const contactPiiColumns = (s: SealedValues<ContactPiiField>) => ({
  phoneCt: s.ciphertexts.phone,
  emailCt: s.ciphertexts.email,
  phoneBidx: s.blindIndexes.phone ?? null,
  emailBidx: s.blindIndexes.email ?? null,
  piiKeyVersion: s.keyVersion,
});

/** Every table with sealed fields: what rotation re-encrypts and start-up seals. */
export const SEALED_TABLES: SealedTable[] = [CUSTOMER_PII, CONTACT_PII];
