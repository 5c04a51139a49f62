/**
 * The names README's code blocks use without declaring them, because the prose around each block
 * gives them: compiled with every ```ts block by consumer-typing.test.ts. Add a name here only when
 * a block cannot reasonably declare it itself.
 */
declare const app: import('express').Express;
declare const issuer: string;
declare const audience: string;
declare const token: string;
declare const key: string;
declare const cert: string;
declare const authenticate: typeof import('access-token-guard/express').authenticate;
declare const createVerifier: typeof import('access-token-guard').createVerifier;
declare const https: typeof import('node:https');
declare function findTenantByIssuer(issuer: string): Promise<{ id: string } | undefined>;
