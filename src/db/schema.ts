export * from './tables/tenants';
export * from './tables/identity';
export * from './tables/knowledge';
export * from './tables/crm';
export * from './tables/audit';
export * from './tables/keys';
export * from './tables/tickets';
export * from './tables/feedback';
