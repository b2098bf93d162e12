/**
 * What must never be in a function's log line: the credentials the function runs with (by value), anything
 * shaped like an AWS access key id, secret access key or session token, and dumps of SDK responses (the
 * `$metadata` / `$response` of a command output or a service exception). Returns one problem per finding.
 */
export function logLineProblems(line: string, credentials: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const secret of credentials)
    if (secret.length >= 8 && line.includes(secret))
      problems.push(`a credential of the function (${secret.slice(0, 4)}…)`);
  const keyId = /\b(AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b/.exec(line);
  if (keyId) problems.push(`an access key id ${keyId[0].slice(0, 8)}…`);
  // A secret access key is 40 characters of base64: a run of exactly 40 with upper, lower and digits.
  for (const match of line.matchAll(/(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g))
    if (/[A-Z]/.test(match[0]) && /[a-z]/.test(match[0]) && /[0-9]/.test(match[0]))
      problems.push(`a secret-looking key ${match[0].slice(0, 4)}…`);
  if (/secretAccessKey|sessionToken|x-amz-security-token|aws_secret_access_key|AWS_SESSION_TOKEN/i.test(line))
    problems.push('a credential field');
  if (/"\$metadata"|"httpStatusCode"|"\$response"/.test(line))
    problems.push('an SDK response dump ($metadata)');
  if (/"message":"Lambda invocation event"/.test(line))
    problems.push('the whole invocation event (logEvent)');
  return problems;
}
