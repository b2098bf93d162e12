import {
  awsJsonError,
  jsonError,
  queryError,
  restXmlError,
  type SimRequest,
  type SimResponse,
} from './http.ts';
import type { SimWorld } from './world.ts';

/**
 * Which Region a request is for, the way AWS knows it: every SDK request is signed with Signature Version 4,
 * whose credential scope names the Region and the service (`Credential=AKID/20261129/us-east-1/drs/aws4_request`
 * in the `Authorization` header, or `X-Amz-Credential` in a presigned URL's query). The simulator serves each
 * Region-scoped service (DRS, EventBridge, SNS, EC2, Lambda, S3) of both Regions of the pair on one endpoint, so
 * `AWS_ENDPOINT_URL_<SERVICE>` works unchanged, and routes each request to the state of the Region it was
 * signed for. A request AWS would refuse is refused the same way: unsigned (403 Missing Authentication Token), a
 * malformed signature (400 IncompleteSignature), a scope for another service or a Region outside the pair
 * (403, a signature error); S3 (`rest-xml`) in its own words: 403 AccessDenied for an unsigned (anonymous)
 * request, 400 AuthorizationHeaderMalformed for a scope it cannot use. The signature itself is not verified (the simulator does not hold the secrets of
 * every caller); a Region in an outage ({@link SimWorld.lostRegions}) does not answer at all: the connection is
 * dropped, as an unreachable endpoint would be.
 */

export interface SigningScope {
  accessKeyId: string;
  /** `YYYYMMDD` */
  date: string;
  region: string;
  service: string;
}

/** The protocol the service speaks, for the shape of its errors (`rest-xml`: Amazon S3). */
export type Protocol = 'rest-json' | 'aws-json' | 'query' | 'rest-xml';

const SCOPE = /^([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/;

/**
 * The credential scope of a signed request; `undefined` when it is not signed at all; `'malformed'` when it
 * carries a signature whose scope cannot be read.
 */
export function signingScopeOf(request: SimRequest): SigningScope | undefined | 'malformed' {
  const header = request.headers.authorization;
  const authorization = Array.isArray(header) ? header[0] : header;
  let credential: string | undefined;
  if (authorization !== undefined && authorization !== '') {
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) return 'malformed';
    credential = /Credential=([^,\s]+)/.exec(authorization)?.[1];
  } else {
    credential = request.query.get('X-Amz-Credential') ?? undefined;
    if (credential === undefined) return undefined;
  }
  const match = credential ? SCOPE.exec(credential) : null;
  if (!match) return 'malformed';
  const [, accessKeyId, date, region, service] = match as unknown as [string, string, string, string, string];
  return { accessKeyId, date, region, service };
}

export type RouteResult =
  | { ok: true; region: string }
  /** Refused: answer with `response` (already shaped for the protocol), record `code`. */
  | { ok: false; region?: string | undefined; code: string; response: SimResponse };

/**
 * Routes a request for `service` to one Region of the pair, or refuses it as AWS would. A request for a lost
 * Region is refused with a dropped connection (`code` RegionUnavailable).
 */
export function routeByRegion(
  world: SimWorld,
  request: SimRequest,
  service: string,
  protocol: Protocol,
): RouteResult {
  const scope = signingScopeOf(request);
  // Amazon S3 answers in its own words: an unsigned request is anonymous (403 AccessDenied on a private bucket),
  // a credential scope it cannot use is 400 AuthorizationHeaderMalformed.
  const s3 = protocol === 'rest-xml';
  if (scope === undefined) {
    return s3
      ? refuse(protocol, 403, 'AccessDenied', 'Access Denied')
      : refuse(
          protocol,
          403,
          protocol === 'query' ? 'MissingAuthenticationToken' : 'MissingAuthenticationTokenException',
          'Missing Authentication Token',
        );
  }
  if (scope === 'malformed') {
    return refuse(
      protocol,
      400,
      s3
        ? 'AuthorizationHeaderMalformed'
        : protocol === 'query'
          ? 'IncompleteSignature'
          : 'IncompleteSignatureException',
      'Authorization header requires a Credential parameter of the form AKID/date/region/service/aws4_request.',
    );
  }
  const signatureError = s3
    ? 'AuthorizationHeaderMalformed'
    : protocol === 'query'
      ? 'SignatureDoesNotMatch'
      : 'InvalidSignatureException';
  const signatureStatus = s3 ? 400 : 403;
  if (scope.service !== service) {
    return refuse(
      protocol,
      signatureStatus,
      signatureError,
      `Credential should be scoped to correct service: '${service}'.`,
      scope.region,
    );
  }
  if (!world.regions.includes(scope.region)) {
    return refuse(
      protocol,
      signatureStatus,
      signatureError,
      `Credential should be scoped to a valid region, not '${scope.region}'. (The simulated pair is ${world.regions.join(' and ')}.)`,
      scope.region,
    );
  }
  if (world.isLost(scope.region)) {
    return {
      ok: false,
      region: scope.region,
      code: 'RegionUnavailable',
      response: { status: 503, dropConnection: true },
    };
  }
  return { ok: true, region: scope.region };
}

function refuse(
  protocol: Protocol,
  status: number,
  code: string,
  message: string,
  region?: string,
): RouteResult {
  const response =
    protocol === 'query'
      ? queryError(status, code, message)
      : protocol === 'aws-json'
        ? awsJsonError(status, code, message)
        : protocol === 'rest-xml'
          ? restXmlError(status, code, message)
          : jsonError(status, code, { message });
  return { ok: false, region, code, response };
}
