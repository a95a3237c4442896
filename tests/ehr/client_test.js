// Drives `ward ehr serve` with third-party software: the fhir-kit-client FHIR
// client (create, read, update, search with paging, delete, transaction) and the
// FHIR.js validator (every resource the server returns for the Synthea data).
//
// Usage: WARD_BIN=build/ward WARD_DATA_DIR=../shared/data node client_test.js
'use strict';
const { spawn } = require('child_process');
const assert = require('assert');
const path = require('path');
const readline = require('readline');
const Client = require('fhir-kit-client');
const { Fhir } = require('fhir');

const wardBin = process.env.WARD_BIN;
const dataDir = process.env.WARD_DATA_DIR || path.join(__dirname, '../../../shared/data');
if (!require('fs').existsSync(path.join(dataDir, 'synthea'))) {
  console.error(`the shared FHIR data is missing: no ${dataDir}/synthea (set WARD_DATA_DIR)`);
  process.exit(1);
}
if (!wardBin) {
  console.error('set WARD_BIN to the ward binary');
  process.exit(2);
}

// Starts the server on port 0 and resolves with its base URL (first stdout line).
function startServer() {
  const child = spawn(wardBin, ['ehr', 'serve', '--port', '0', '--load', path.join(dataDir, 'synthea')],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const m = /^ward ehr: serving (http:\/\/\S+\/fhir)$/.exec(line);
      if (!m) reject(new Error('unexpected first line: ' + line));
      else resolve({ child, base: m[1] });
    });
    child.once('exit', (code) => reject(new Error('server exited early with ' + code)));
  });
}

async function expectStatus(promise, status) {
  try {
    await promise;
  } catch (e) {
    assert.strictEqual(e.response && e.response.status, status, String(e));
    assert.strictEqual(e.response.data.resourceType, 'OperationOutcome');
    return;
  }
  assert.fail('expected HTTP ' + status);
}

async function crud(client) {
  const cs = await client.capabilityStatement();
  assert.strictEqual(cs.fhirVersion, '4.0.1');
  const created = await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', name: [{ family: 'Kitclient', given: ['Ada'] }], gender: 'female' },
  });
  assert.ok(created.id);
  assert.strictEqual(created.meta.versionId, '1');
  const read = await client.read({ resourceType: 'Patient', id: created.id });
  assert.deepStrictEqual(read.name, created.name);
  read.gender = 'other';
  const updated = await client.update({ resourceType: 'Patient', id: read.id, body: read });
  assert.strictEqual(updated.meta.versionId, '2');
  assert.strictEqual(updated.gender, 'other');
  const found = await client.search({ resourceType: 'Patient', searchParams: { family: 'kitcl' } });
  assert.strictEqual(found.total, 1);
  assert.strictEqual(found.entry[0].resource.id, created.id);
  const history = await client.history({ resourceType: 'Patient', id: created.id });
  assert.strictEqual(history.total, 2);
  await client.delete({ resourceType: 'Patient', id: created.id });
  await expectStatus(client.read({ resourceType: 'Patient', id: created.id }), 410);
  await expectStatus(client.read({ resourceType: 'Patient', id: 'no-such-patient' }), 404);
  await expectStatus(client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', gender: 'x' } }), 422);
  await expectStatus(client.search({ resourceType: 'Patient', searchParams: { nonsense: '1' } }), 400);
}

async function transaction(client) {
  const pu = 'urn:uuid:0b0e5a3c-6a3e-4b5e-9c1d-1f2e3d4c5b6a';
  const body = {
    resourceType: 'Bundle', type: 'transaction',
    entry: [
      { fullUrl: pu, resource: { resourceType: 'Patient', name: [{ family: 'Txn' }] },
        request: { method: 'POST', url: 'Patient' } },
      { fullUrl: 'urn:uuid:1c1f6b4d-7b4f-4c6f-8d2e-2f3e4d5c6b7a',
        resource: { resourceType: 'Observation', status: 'final', subject: { reference: pu },
                    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
                    valueQuantity: { value: 7.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' } },
        request: { method: 'POST', url: 'Observation' } },
    ],
  };
  const resp = await client.transaction({ body });
  assert.strictEqual(resp.type, 'transaction-response');
  assert.strictEqual(resp.entry.length, 2);
  for (const e of resp.entry) assert.strictEqual(e.response.status, '201 Created');
  const obs = await client.search({ resourceType: 'Observation',
                                    searchParams: { 'value-quantity': 'gt7', code: '4548-4' } });
  assert.strictEqual(obs.total, 1);
  assert.strictEqual(obs.entry[0].resource.subject.reference, 'Patient/0b0e5a3c-6a3e-4b5e-9c1d-1f2e3d4c5b6a');
  // All or nothing: an invalid entry leaves nothing behind.
  body.entry[1].resource.status = 'not-a-status';
  body.entry[0].fullUrl = 'urn:uuid:2d2a7c5e-8c5a-4d7a-9e3f-3a4f5e6d7c8b';
  await expectStatus(client.transaction({ body }), 422);
  const none = await client.read({ resourceType: 'Patient', id: '2d2a7c5e-8c5a-4d7a-9e3f-3a4f5e6d7c8b' }).catch((e) => e.response.status);
  assert.strictEqual(none, 404);
}

// Every page of a search, following `next` links with the client.
async function allPages(client, resourceType, searchParams) {
  let bundle = await client.search({ resourceType, searchParams });
  const bundles = [bundle];
  while (bundle.link && bundle.link.some((l) => l.relation === 'next')) {
    bundle = await client.nextPage({ bundle });
    bundles.push(bundle);
  }
  return bundles;
}

async function validateEverything(client) {
  const fhir = new Fhir();
  const broken = { resourceType: 'Patient', birthDate: 12, unknownElement: true };
  assert.strictEqual(fhir.validate(broken, {}).valid, false, 'FHIR.js must reject a broken resource');
  const types = ['Patient', 'Organization', 'Practitioner', 'Encounter', 'Condition', 'Observation',
                 'MedicationRequest', 'Procedure', 'Immunization', 'DiagnosticReport', 'CarePlan',
                 'Goal', 'Claim', 'ExplanationOfBenefit', 'AllergyIntolerance'];
  let resources = 0;
  for (const type of types) {
    for (const bundle of await allPages(client, type, { _count: 100 })) {
      const checks = [bundle].concat((bundle.entry || []).map((e) => e.resource));
      for (const r of checks) {
        const result = fhir.validate(r, {});
        const errors = result.messages.filter((m) => m.severity === 'error');
        assert.ok(result.valid, `${r.resourceType}/${r.id}: ${JSON.stringify(errors.slice(0, 3))}`);
      }
      resources += (bundle.entry || []).length;
    }
  }
  const hba1c = await allPages(client, 'Observation', { code: 'http://loinc.org|4548-4', _count: 5 });
  assert.strictEqual(hba1c.length, 5);  // 22 Synthea + 1 from the transaction above
  return resources;
}

async function main() {
  const { child, base } = await startServer();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let failed = false;
  try {
    const client = new Client({ baseUrl: base });
    await crud(client);
    await transaction(client);
    const n = await validateEverything(client);
    assert.ok(n >= 1194, `validated only ${n} resources`);
    console.log(`ok: fhir-kit-client CRUD, search, paging, transaction; FHIR.js validated ${n} resources`);
  } catch (e) {
    failed = true;
    console.error('FAILED:', e && e.stack ? e.stack : e);
  }
  child.kill('SIGTERM');
  const { code } = await exited;
  if (code !== 0) {
    console.error('server did not stop cleanly on SIGTERM: exit code', code);
    failed = true;
  }
  process.exit(failed ? 1 : 0);
}

main();
