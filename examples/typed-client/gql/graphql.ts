/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type LoginInput = {
  email: string;
  password: string;
  /** Tenant slug, for example acme. */
  tenant: string;
};

export type SignInMutationVariables = Exact<{
  input: LoginInput;
}>;


export type SignInMutation = { login: { accessToken: string } };

export type FirstCustomersQueryVariables = Exact<{
  first: number;
}>;


export type FirstCustomersQuery = { customers: { pageInfo: { hasNextPage: boolean }, edges: Array<{ node: { id: string, name: string, phone: string | null, email: string | null } }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const SignInDocument = new TypedDocumentString(`
    mutation SignIn($input: LoginInput!) {
  login(input: $input) {
    accessToken
  }
}
    `) as unknown as TypedDocumentString<SignInMutation, SignInMutationVariables>;
export const FirstCustomersDocument = new TypedDocumentString(`
    query FirstCustomers($first: Int!) {
  customers(first: $first) {
    pageInfo {
      hasNextPage
    }
    edges {
      node {
        id
        name
        phone
        email
      }
    }
  }
}
    `) as unknown as TypedDocumentString<FirstCustomersQuery, FirstCustomersQueryVariables>;