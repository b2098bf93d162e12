import { queryError, type SimRequest, type SimResponse } from './http.ts';
import type { SimWorld } from './world.ts';

/** AWS STS, simulated: `GetCallerIdentity` (query protocol), answering as the simulated account. */
export function handleSts(world: SimWorld, request: SimRequest): SimResponse {
  const action = new URLSearchParams(request.body).get('Action');
  world.recordCall(
    { service: 'sts', operation: action ?? '?', result: 'ok', mutating: false, input: {} },
    `${action}`,
  );
  if (action !== 'GetCallerIdentity') {
    return queryError(400, 'InvalidAction', `The action ${action ?? '(none)'} is not simulated.`);
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::${world.account}:assumed-role/dr-autopilot-sim/simulator</Arn><UserId>AROASIMULATEDROLE0001:simulator</UserId><Account>${world.account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  };
}

/**
 * Every AWS service the simulator does not stand in for: `AWS_ENDPOINT_URL` points here, so a call to one of
 * them fails loudly (and is recorded) instead of reaching the network.
 */
export function handleUnsimulated(world: SimWorld, request: SimRequest): SimResponse {
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(request.headers.authorization ?? ''));
  const service = scope?.[1] ?? 'unknown';
  const operation =
    String(request.headers['x-amz-target'] ?? '') ||
    new URLSearchParams(request.body).get('Action') ||
    `${request.method} ${request.path}`;
  world.recordCall(
    { service, operation, result: 'NotSimulated', mutating: true, input: {} },
    `${service} ${operation} (not simulated)`,
  );
  return {
    status: 501,
    headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': 'NotSimulatedException' },
    body: JSON.stringify({
      __type: 'NotSimulatedException',
      message: `${service} ${operation} is not simulated`,
    }),
  };
}
