import { post } from './load';

/**
 * The benchmark reads hundreds of customers' personal data per second as one user, which the default
 * BULK_PII_READ rule answers by revoking that user's sessions (and the load may run outside working
 * hours). Through the API, as the tenant's administrator, set those rules to raise alerts only: detection
 * still runs, and its cost stays in the measurement.
 */
export async function alertOnlyDetection(url: string, adminToken: string): Promise<Record<string, unknown>[]> {
  const rules = [];
  for (const kind of ['BULK_PII_READ', 'OFF_HOURS_ACCESS']) {
    const json = await post<{ configureDetectionRule: Record<string, unknown> }>(url, adminToken, JSON.stringify({
      query: 'mutation($i: DetectionRuleInput!) { configureDetectionRule(input: $i) { kind enabled threshold windowMinutes responses } }',
      variables: { i: { kind, responses: [] } },
    }));
    if (!json.data) throw new Error(`could not set ${kind} to alert only: ${JSON.stringify(json.errors)}`);
    rules.push(json.data.configureDetectionRule);
  }
  return rules;
}
