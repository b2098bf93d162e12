import { describe, expect, it } from 'vitest';
import type { SimRequest } from '../../../sim/http.ts';
import { routeByRegion, signingScopeOf } from '../../../sim/sigv4.ts';
import { SimWorld } from '../../../sim/world.ts';

/** Every Region-scoped service of the simulated pair is routed by the request's SigV4 credential scope. */
function request(headers: Record<string, string>, query = ''): SimRequest {
  return { method: 'POST', path: '/', query: new URLSearchParams(query), headers, body: '' };
}

const signedFor = (region: string, service: string) =>
  request({
    authorization: `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261129/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
  });

describe('SigV4 Region routing', () => {
  it('reads the credential scope from the Authorization header or a presigned query', () => {
    // Act
    const fromHeader = signingScopeOf(signedFor('us-east-1', 'sns'));
    const fromQuery = signingScopeOf(
      request({}, 'X-Amz-Credential=ASIAEXAMPLE%2F20261129%2Fus-west-2%2Fevents%2Faws4_request'),
    );

    // Assess
    expect(fromHeader).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      date: '20261129',
      region: 'us-east-1',
      service: 'sns',
    });
    expect(fromQuery).toMatchObject({ region: 'us-west-2', service: 'events' });
    expect(signingScopeOf(request({}))).toBeUndefined();
    expect(signingScopeOf(request({ authorization: 'Bearer token' }))).toBe('malformed');
  });

  it.each([
    ['events', 'aws-json'],
    ['sns', 'query'],
    ['drs', 'rest-json'],
  ] as const)('routes a %s request to the Region it was signed for', (service, protocol) => {
    // Prepare
    const world = new SimWorld();

    // Act
    const primary = routeByRegion(world, signedFor('us-east-1', service), service, protocol);
    const recovery = routeByRegion(world, signedFor('us-west-2', service), service, protocol);

    // Assess
    expect(primary).toEqual({ ok: true, region: 'us-east-1' });
    expect(recovery).toEqual({ ok: true, region: 'us-west-2' });
  });

  it('refuses in the shape of each protocol', () => {
    // Prepare
    const world = new SimWorld();

    // Act
    const sns = routeByRegion(world, request({}), 'sns', 'query');
    const events = routeByRegion(world, signedFor('eu-west-1', 'events'), 'events', 'aws-json');
    const drs = routeByRegion(world, signedFor('us-east-1', 'sns'), 'drs', 'rest-json');

    // Assess
    expect(sns).toMatchObject({ ok: false, code: 'MissingAuthenticationToken', response: { status: 403 } });
    expect(sns.ok ? '' : sns.response.body).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(events).toMatchObject({ ok: false, code: 'InvalidSignatureException', region: 'eu-west-1' });
    expect(JSON.parse((events.ok ? '' : events.response.body) ?? '')).toMatchObject({
      __type: 'InvalidSignatureException',
    });
    expect(drs).toMatchObject({
      ok: false,
      code: 'InvalidSignatureException',
      response: { status: 403, headers: { 'x-amzn-ErrorType': 'InvalidSignatureException' } },
    });
  });

  it('drops the connection of a request for a lost Region', () => {
    // Prepare
    const world = new SimWorld();
    world.lostRegions.add('us-east-1');

    // Act
    const lost = routeByRegion(world, signedFor('us-east-1', 'events'), 'events', 'aws-json');
    const other = routeByRegion(world, signedFor('us-west-2', 'events'), 'events', 'aws-json');

    // Assess
    expect(lost).toMatchObject({ ok: false, code: 'RegionUnavailable', response: { dropConnection: true } });
    expect(other.ok).toBe(true);
  });
});
