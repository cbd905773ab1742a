export * from './tables/tenants';
export * from './tables/identity';
export * from './tables/knowledge';
export * from './tables/crm';
export * from './tables/audit';
export * from './tables/access';
export * from './tables/authn';
