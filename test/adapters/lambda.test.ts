/**
 * The API Gateway authorizer's translation, fed the event shapes of AWS's documentation
 * ("Input to an API Gateway Lambda authorizer"; "Working with AWS Lambda authorizers for HTTP
 * APIs") with real tokens: Allow/Deny policies and simple responses, the exact `Unauthorized`
 * failure API Gateway turns into 401, the 503 that must never look like one, a flat context.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessTokenError,
  createAuthorizer,
  KeysUnavailableError,
  type HttpApiAuthorizerEvent,
  type PolicyResponse,
  type RequestAuthorizerEvent,
  type SimpleResponse,
  type TokenAuthorizerEvent,
  type VerifierOptions,
} from '../../adapters/lambda.js';
import { createVerifier } from '../../src/index.js';
import { LocalIssuer } from '../../examples/local-issuer.js';

const AUDIENCE = 'https://api.example.com/';
let issuer: LocalIssuer;
let options: VerifierOptions;
let token: string;

beforeAll(async () => {
  issuer = await LocalIssuer.start();
  options = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri };
  token = await issuer.mint(AUDIENCE, { scope: 'read:messages write:messages', permissions: ['read:messages'] });
});
afterAll(() => issuer.close());

// REST API, TOKEN authorizer: the shape AWS documents, with our Authorization header as token source.
const tokenEvent = (authorizationToken: string): TokenAuthorizerEvent => ({
  type: 'TOKEN',
  authorizationToken,
  methodArn: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/',
});

// REST API, REQUEST authorizer: AWS's example for `GET /request`, with an Authorization header.
const requestEvent = (authorization: string | string[]): RequestAuthorizerEvent => {
  const values = Array.isArray(authorization) ? authorization : [authorization];
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request',
    resource: '/request',
    path: '/request',
    httpMethod: 'GET',
    headers: {
      'X-AMZ-Date': '20170718T062915Z',
      Accept: '*/*',
      Authorization: values[values.length - 1],
      'CloudFront-Viewer-Country': 'US',
      'CloudFront-Forwarded-Proto': 'https',
      Host: 'abcdef123.execute-api.us-east-1.amazonaws.com',
      'User-Agent': 'curl/8.5.0',
    },
    multiValueHeaders: {
      'X-AMZ-Date': ['20170718T062915Z'],
      Accept: ['*/*'],
      Authorization: values,
      'CloudFront-Viewer-Country': ['US'],
      'CloudFront-Forwarded-Proto': ['https'],
      Host: ['abcdef123.execute-api.us-east-1.amazonaws.com'],
      'User-Agent': ['curl/8.5.0'],
    },
    queryStringParameters: { QueryString1: 'queryValue1' },
    multiValueQueryStringParameters: { QueryString1: ['queryValue1'] },
    pathParameters: {},
    stageVariables: { StageVar1: 'stageValue1' },
    requestContext: {
      path: '/test/request',
      accountId: '123456789012',
      resourceId: '05c7jb',
      stage: 'test',
      requestId: '...',
      identity: { apiKey: '...', sourceIp: '203.0.113.7', clientCert: null },
      resourcePath: '/request',
      httpMethod: 'GET',
      domainName: 'abcdef123.execute-api.us-east-1.amazonaws.com',
      apiId: 'abcdef123',
    },
  } as RequestAuthorizerEvent;
};

// HTTP API, payload format 1.0: the REST REQUEST shape plus `version`.
const httpV1Event = (authorization: string): RequestAuthorizerEvent =>
  ({
    version: '1.0',
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request',
    identitySource: authorization,
    authorizationToken: authorization,
    resource: '/request',
    path: '/request',
    httpMethod: 'GET',
    headers: { authorization, host: 'abcdef123.execute-api.us-east-1.amazonaws.com' },
    queryStringParameters: { parameter1: 'value1' },
    pathParameters: {},
    stageVariables: {},
    requestContext: { httpMethod: 'GET', path: '/request', domainName: 'abcdef123.execute-api.us-east-1.amazonaws.com', stage: 'test' },
  }) as RequestAuthorizerEvent;

// HTTP API, payload format 2.0: AWS's example, with an authorization header as identity source.
const httpV2Event = (authorization: string): HttpApiAuthorizerEvent =>
  ({
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request',
    identitySource: [authorization],
    routeKey: '$default',
    rawPath: '/my/path',
    rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    cookies: ['cookie1', 'cookie2'],
    headers: { authorization, header1: 'value1', header2: 'value2' },
    queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      authentication: {
        clientCert: {
          clientCertPem: 'CERT_CONTENT',
          subjectDN: 'www.example.com',
          issuerDN: 'Example issuer',
          serialNumber: '1',
          validity: { notBefore: 'May 28 12:30:02 2019 GMT', notAfter: 'Aug 5 09:36:04 2021 GMT' },
        },
      },
      domainName: 'id.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'id',
      http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: 'IP', userAgent: 'agent' },
      requestId: 'id',
      routeKey: '$default',
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: 1583348638390,
    },
    pathParameters: { parameter1: 'value1' },
    stageVariables: { stageVariable1: 'value1', stageVariable2: 'value2' },
  }) as HttpApiAuthorizerEvent;

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the authorizer to fail');
}

/** API Gateway takes only strings, numbers and booleans in an authorizer context: never an array or object. */
function expectFlatContext(context: Record<string, unknown> | undefined) {
  expect(context).toBeDefined();
  const values = Object.values(context as Record<string, unknown>);
  expect(values.length).toBeGreaterThan(0);
  for (const value of values) expect(['string', 'number', 'boolean']).toContain(typeof value);
}

describe('lambda: REST API TOKEN authorizer', () => {
  it('allows a good token: principalId is sub, the policy names the method ARN, the context is flat strings', async () => {
    const handler = createAuthorizer(options);
    const result = (await handler(tokenEvent(`Bearer ${token}`))) as PolicyResponse;
    expect(result).toEqual({
      principalId: 'auth0|demo-user',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/' }],
      },
      context: { sub: 'auth0|demo-user', clientId: 'demo-client-id', scope: 'read:messages write:messages', permissions: 'read:messages' },
    });
    expectFlatContext(result.context);
  });

  it('fails with exactly "Unauthorized" (API Gateway: 401) for missing, malformed, bad and expired tokens', async () => {
    const refusals: AccessTokenError[] = [];
    const handler = createAuthorizer(options, { onRefusal: (error) => refusals.push(error) });
    const expired = await issuer.mint(AUDIENCE, {}, { expiresIn: -60 });
    for (const value of ['', 'Basic dXNlcjpwYXNz', 'Bearer a b', `Bearer ${token}x`, `Bearer ${expired}`]) {
      const error = await failure(handler(tokenEvent(value)));
      expect(error.message).toBe('Unauthorized');
      expect(error.cause).toBeInstanceOf(AccessTokenError);
    }
    expect(refusals.map((error) => error.status)).toEqual([401, 401, 400, 401, 401]);
  });

  it('denies (API Gateway: 403) a token without the required scope or permission', async () => {
    const refusals: AccessTokenError[] = [];
    const handler = createAuthorizer(options, { scopes: 'read:messages', permissions: ['delete:messages'], onRefusal: (error) => refusals.push(error) });
    const result = (await handler(tokenEvent(`Bearer ${token}`))) as PolicyResponse;
    expect(result.principalId).toBe('auth0|demo-user');
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Deny');
    expect(refusals[0]?.code).toBe('insufficient_scope');
    expect(refusals[0]?.reason).toContain('delete:messages');

    const anyOf = createAuthorizer(options, { scopes: ['admin', 'write:messages'], match: 'any' });
    expect(((await anyOf(tokenEvent(`Bearer ${token}`))) as PolicyResponse).policyDocument.Statement[0]?.Effect).toBe('Allow');
  });

  it('throws our 503 itself, never "Unauthorized" (API Gateway answers 500)', async () => {
    const handler = createAuthorizer({ ...options, jwksUri: 'http://127.0.0.1:1/jwks.json' });
    const error = await failure(handler(tokenEvent(`Bearer ${token}`)));
    expect(error).toBeInstanceOf(KeysUnavailableError);
    expect(error.message).not.toBe('Unauthorized');
  });

  it('a handler made once keeps its keys across invocations (module scope = warm cache)', async () => {
    const handler = createAuthorizer(createVerifier(options));
    const before = issuer.jwksHits;
    for (let i = 0; i < 5; i++) await handler(tokenEvent(`Bearer ${token}`));
    expect(issuer.jwksHits - before).toBe(1);
  });

  it('resource option widens the policy (for authorizer caching across routes)', async () => {
    const handler = createAuthorizer(options, { resource: (event) => `${('methodArn' in event ? event.methodArn : event.routeArn).split('/').slice(0, 2).join('/')}/*` });
    const result = (await handler(tokenEvent(`Bearer ${token}`))) as PolicyResponse;
    expect(result.policyDocument.Statement[0]?.Resource).toBe('arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/*');
  });
});

describe('lambda: REST API REQUEST authorizer (and HTTP API payload 1.0)', () => {
  it('allows a good token with a policy on the method ARN', async () => {
    const result = (await createAuthorizer(options)(requestEvent(`Bearer ${token}`))) as PolicyResponse;
    expect(result.policyDocument.Statement[0]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request',
    });
    expect(result.context?.sub).toBe('auth0|demo-user');
  });

  it('sees a repeated Authorization header in multiValueHeaders and refuses it', async () => {
    const error = await failure(createAuthorizer(options)(requestEvent([`Bearer ${token}`, `Bearer ${token}`])));
    expect(error.message).toBe('Unauthorized');
    expect((error.cause as AccessTokenError).code).toBe('invalid_request');
  });

  it('denies a missing scope; refuses a bad token with "Unauthorized"', async () => {
    const handler = createAuthorizer(options, { scopes: 'admin' });
    expect(((await handler(requestEvent(`Bearer ${token}`))) as PolicyResponse).policyDocument.Statement[0]?.Effect).toBe('Deny');
    expect((await failure(handler(requestEvent('Bearer nope')))).message).toBe('Unauthorized');
  });

  it('HTTP API payload 1.0 gets the IAM policy response', async () => {
    const result = (await createAuthorizer(options, { simpleResponses: true })(httpV1Event(`Bearer ${token}`))) as PolicyResponse;
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Allow');
  });
});

describe('lambda: HTTP API payload 2.0', () => {
  it('simple responses: isAuthorized and a flat context', async () => {
    const handler = createAuthorizer(options, { simpleResponses: true, scopes: 'read:messages' });
    const result = (await handler(httpV2Event(`Bearer ${token}`))) as SimpleResponse;
    expect(result).toEqual({
      isAuthorized: true,
      context: { sub: 'auth0|demo-user', clientId: 'demo-client-id', scope: 'read:messages write:messages', permissions: 'read:messages' },
    });
    expectFlatContext(result.context);
    const denied = (await createAuthorizer(options, { simpleResponses: true, permissions: 'admin' })(httpV2Event(`Bearer ${token}`))) as SimpleResponse;
    expect(denied.isAuthorized).toBe(false);
    expect((await failure(handler(httpV2Event('Bearer a b')))).message).toBe('Unauthorized');
  });

  it('IAM policy responses (the AWS default) name the route ARN', async () => {
    const result = (await createAuthorizer(options)(httpV2Event(`Bearer ${token}`))) as PolicyResponse;
    expect(result.policyDocument.Statement[0]?.Resource).toBe('arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request');
    expect(result.policyDocument.Statement[0]?.Effect).toBe('Allow');
  });
});
